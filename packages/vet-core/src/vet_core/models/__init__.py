"""SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from vet_core.models.base import NAMING_CONVENTION, Base

__all__ = ["NAMING_CONVENTION", "Base"]
