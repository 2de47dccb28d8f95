"""Shared truth of the veterinary clinic platform: data, its rules, and the database layer."""

from importlib.metadata import version

__version__ = version("vet-core")
