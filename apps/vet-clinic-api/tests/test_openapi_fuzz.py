"""Property-based fuzzing of the whole OpenAPI schema with schemathesis.

The API is served by a real uvicorn on loopback against the worker's test database; every
generated request is sent with a platform admin's token so that it reaches the routes'
logic. Nothing may answer 500, and every response must match what the schema declares.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from vet_clinic_api.main import create_app
from vet_core.database import create_engine, create_session_factory, transaction
from vet_core.models.enums import UserRole
from vet_core.models.identity import User
from vet_core.testing import run_sync

from conftest import mint, settings_for


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served_api(database_url, redis_url):
    """A real server in a thread; yields its base URL and an admin token.

    Stripe is configured but unreachable: a request that gets that far must answer with the
    declared 503, never a 500.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("STRIPE_API_KEY", "sk_test_fuzz")
    patch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    patch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_ZnV6ei1zZWNyZXQ=")
    app = create_app(
        settings_for(
            database_url,
            redis_url,
            rate_limit_per_minute_ip=100_000,
            rate_limit_per_minute_user=100_000,
        )
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    clerk_id = f"user_fuzz_{uuid.uuid4().hex[:8]}"

    async def make_admin() -> None:
        engine = create_engine(url=database_url, pooled=False)
        try:
            async with transaction(create_session_factory(engine)) as session:
                session.add(
                    User(
                        clerk_user_id=clerk_id,
                        email=f"{clerk_id}@example.com",
                        first_name="Fuzz",
                        last_name="Admin",
                        role=UserRole.PLATFORM_ADMIN,
                    )
                )
        finally:
            await engine.dispose()

    run_sync(make_admin())
    yield f"http://127.0.0.1:{port}", mint(clerk_id, exp=int(time.time()) + 3600)
    server.should_exit = True
    thread.join(timeout=10)
    patch.undo()


FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_no_route_fails_or_breaks_its_schema(served_api):
    base_url, token = served_api
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    failures: dict[str, str] = {}
    for operation in operations:

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def exercise(case) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                # Some rules live beyond JSON Schema (IANA zone names, which permissions a key
                # may hold): a schema-valid body may still get a documented 422.
                excluded_checks=[positive_data_acceptance],
            )

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # collect every broken route
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
