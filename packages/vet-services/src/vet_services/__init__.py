"""Business logic of the veterinary clinic platform. Services take an AsyncSession and never commit."""

from importlib.metadata import version

__version__ = version("vet-services")
