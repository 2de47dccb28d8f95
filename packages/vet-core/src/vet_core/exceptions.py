"""The exception tree of the platform.

Every exception carries a stable, machine-readable ``code`` (clients branch on it, so it never
changes once released), a human ``message``, optional structured ``details`` and the HTTP status
an API should answer with. The tree follows design doc 000 and adds the domain errors the
services raise (not found, conflict, permission, authentication).

    VetCoreException
    ├── DatabaseException
    │   ├── ConnectionException
    │   ├── TransactionException
    │   │   └── RetryableTransactionException
    │   └── MigrationException
    ├── ValidationException
    │   ├── SchemaValidationException
    │   └── BusinessRuleException
    ├── ConfigurationException
    │   ├── DatabaseConfigException
    │   └── EnvironmentException
    ├── NotFoundException
    ├── ConflictException
    ├── AuthenticationException
    └── PermissionDeniedException
"""

from __future__ import annotations

from typing import Any, ClassVar


class VetCoreException(Exception):
    """Base of every error the platform raises on purpose."""

    code: ClassVar[str] = "VET_CORE_ERROR"
    http_status: ClassVar[int] = 500
    default_message: ClassVar[str] = "An unexpected error occurred"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details or {}
        if code is not None:
            # A narrower code for one situation, e.g. ``APPOINTMENT_OVERLAP`` under CONFLICT.
            self.code = code  # type: ignore[misc]
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The error as the ``error`` member of the API's error envelope (without time/request id)."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


# --- database ---------------------------------------------------------------------------------


class DatabaseException(VetCoreException):
    """The database could not do what was asked."""

    code = "DATABASE_ERROR"
    http_status = 503
    default_message = "The database is unavailable"


class ConnectionException(DatabaseException):
    """No connection to the database could be made (server down, refused, timed out)."""

    code = "DATABASE_CONNECTION_ERROR"
    default_message = "Could not connect to the database"


class TransactionException(DatabaseException):
    """A transaction failed and was rolled back."""

    code = "DATABASE_TRANSACTION_ERROR"
    http_status = 500
    default_message = "The transaction failed and was rolled back"


class RetryableTransactionException(TransactionException):
    """A serialization failure or deadlock that outlived every retry."""

    code = "DATABASE_TRANSACTION_CONFLICT"
    http_status = 409
    default_message = "The transaction conflicted with another one; try again"


class MigrationException(DatabaseException):
    """A schema migration could not be applied."""

    code = "DATABASE_MIGRATION_ERROR"
    http_status = 500
    default_message = "The database migration failed"


# --- validation -------------------------------------------------------------------------------


class ValidationException(VetCoreException):
    """Input was not acceptable."""

    code = "VALIDATION_ERROR"
    http_status = 422
    default_message = "Invalid input data"


class SchemaValidationException(ValidationException):
    """Input did not match its schema (wrong type, format or range)."""

    code = "SCHEMA_VALIDATION_ERROR"


class BusinessRuleException(ValidationException):
    """Input was well formed but breaks a rule of the domain."""

    code = "BUSINESS_RULE_VIOLATION"


# --- configuration ----------------------------------------------------------------------------


class ConfigurationException(VetCoreException):
    """The process is configured wrongly; nothing a client can fix."""

    code = "CONFIGURATION_ERROR"
    http_status = 500
    default_message = "The service is misconfigured"


class DatabaseConfigException(ConfigurationException):
    """The database settings are missing or invalid."""

    code = "DATABASE_CONFIG_ERROR"
    default_message = "The database settings are invalid"


class EnvironmentException(ConfigurationException):
    """A required environment variable or external program is missing."""

    code = "ENVIRONMENT_ERROR"
    default_message = "The environment is missing something required"


# --- domain -----------------------------------------------------------------------------------


class NotFoundException(VetCoreException):
    """The resource does not exist, or the caller may not know that it exists."""

    code = "NOT_FOUND"
    http_status = 404
    default_message = "The resource was not found"


class ConflictException(VetCoreException):
    """The request conflicts with the current state (a taken slot, a stale version)."""

    code = "CONFLICT"
    http_status = 409
    default_message = "The request conflicts with the current state"


class AuthenticationException(VetCoreException):
    """The caller could not be identified."""

    code = "AUTHENTICATION_REQUIRED"
    http_status = 401
    default_message = "Authentication is required"


class PermissionDeniedException(VetCoreException):
    """The caller is known but their role may not perform this action."""

    code = "PERMISSION_DENIED"
    http_status = 403
    default_message = "You are not allowed to perform this action"


__all__ = [
    "AuthenticationException",
    "BusinessRuleException",
    "ConfigurationException",
    "ConflictException",
    "ConnectionException",
    "DatabaseConfigException",
    "DatabaseException",
    "EnvironmentException",
    "MigrationException",
    "NotFoundException",
    "PermissionDeniedException",
    "RetryableTransactionException",
    "SchemaValidationException",
    "TransactionException",
    "ValidationException",
    "VetCoreException",
]
