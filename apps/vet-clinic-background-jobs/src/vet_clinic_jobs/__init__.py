"""The Celery worker and beat of the veterinary clinic platform."""

from importlib.metadata import version

__version__ = version("vet-clinic-background-jobs")
