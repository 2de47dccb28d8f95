"""The application factory. Engines and clients are opened in the lifespan, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from vet_clinic_api import __version__
from vet_clinic_api.errors import install_error_handlers
from vet_clinic_api.middleware.rate_limit import IpRateLimitMiddleware
from vet_clinic_api.middleware.request import JsonFormatter, RequestMiddleware
from vet_clinic_api.middleware.security import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from vet_clinic_api.resources import Resources
from vet_clinic_api.routers import (
    api_keys,
    appointments,
    audit,
    availability,
    cart,
    clinical,
    clinics,
    conversations,
    files,
    health,
    notifications,
    payments,
    pets,
    places,
    reports,
    reviews,
    shop,
    stripe_webhook,
    users,
    veterinarians,
    waitlist,
    webhooks,
    ws,
)
from vet_clinic_api.settings import AppSettings

API_PREFIX = "/api/v1"


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the access log and our own loggers."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("vet_clinic_api", "vet_services", "vet_core"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def create_app(settings: AppSettings | None = None) -> FastAPI:
    """Build the API. ``settings`` defaults to the environment."""
    settings = settings or AppSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.resources = Resources.open(settings)
        try:
            yield
        finally:
            gateway = getattr(app.state, "stripe_gateway", None)
            if gateway is not None:  # created on first use by the payment routes
                await gateway.aclose()
            await app.state.resources.close()

    docs = settings.http.docs
    app = FastAPI(
        title="Vet Clinic Platform API",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    routers = (
        users,
        places,  # before clinics: /clinics/search must not be read as /clinics/{clinic_id}
        clinics,
        veterinarians,
        pets,
        clinical,
        appointments,
        availability,
        waitlist,
        conversations,
        shop,
        cart,
        payments,
        reviews,
        files,
        notifications,
        reports,
        audit,
        api_keys,
        webhooks,
        stripe_webhook,
        ws,
    )
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)

    # Added inside-out: the last one added is the outermost.
    app.add_middleware(
        IpRateLimitMiddleware, limit_per_minute=settings.http.rate_limit_per_minute_ip
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.http.max_body_bytes)
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMiddleware)
    return app
