"""The database layer: engine, sessions, whole transactions, retries and health."""

from vet_core.database.engine import build_database_url, create_engine
from vet_core.database.errors import (
    constraint_name,
    is_connection_error,
    sqlstate_of,
    translate_connection_errors,
)
from vet_core.database.health import DatabaseHealth, check_database
from vet_core.database.retry import (
    backoff_delay,
    connect_with_retry,
    is_retryable_transaction_error,
    run_in_transaction,
)
from vet_core.database.session import SessionFactory, create_session_factory, transaction

__all__ = [
    "DatabaseHealth",
    "SessionFactory",
    "backoff_delay",
    "build_database_url",
    "check_database",
    "connect_with_retry",
    "constraint_name",
    "create_engine",
    "create_session_factory",
    "is_connection_error",
    "is_retryable_transaction_error",
    "run_in_transaction",
    "sqlstate_of",
    "transaction",
    "translate_connection_errors",
]
