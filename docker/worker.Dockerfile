# syntax=docker/dockerfile:1.7
#
# The background jobs (distribution vet-clinic-background-jobs), built from the workspace root:
#
#     docker build -f docker/worker.Dockerfile -t vet-clinic-background-jobs .
#
# One image, four processes, chosen by the command: `vet-clinic-jobs worker` (the default),
# `vet-clinic-jobs beat`, `vet-clinic-jobs relay` and `vet-clinic-jobs flower`.
# Built like docker/api.Dockerfile (see there for the why of each step); migrations are never run
# here either.

ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /uvx /bin/

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# 1. Third-party dependencies only, exactly as locked (every member's pyproject.toml is mounted:
#    uv reads the whole workspace).
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=packages/vet-core/pyproject.toml,target=packages/vet-core/pyproject.toml \
    --mount=type=bind,source=packages/vet-services/pyproject.toml,target=packages/vet-services/pyproject.toml \
    --mount=type=bind,source=apps/vet-clinic-api/pyproject.toml,target=apps/vet-clinic-api/pyproject.toml \
    --mount=type=bind,source=apps/vet-clinic-background-jobs/pyproject.toml,target=apps/vet-clinic-background-jobs/pyproject.toml \
    uv sync --frozen --no-install-workspace --no-dev --package vet-clinic-background-jobs

# 2. The members the jobs depend on, as wheels; of the API only its pyproject.toml is needed.
COPY pyproject.toml uv.lock ./
COPY packages/vet-core packages/vet-core
COPY packages/vet-services packages/vet-services
COPY apps/vet-clinic-background-jobs apps/vet-clinic-background-jobs
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=apps/vet-clinic-api/pyproject.toml,target=apps/vet-clinic-api/pyproject.toml \
    uv sync --frozen --no-dev --no-editable --package vet-clinic-background-jobs


FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.0.0.dev0
LABEL org.opencontainers.image.title="vet-clinic-background-jobs" \
      org.opencontainers.image.description="Celery worker, beat, outbox relay and Flower of the open veterinary clinic platform" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/vet-clinic-platform/vet-clinic-platform" \
      org.opencontainers.image.version="${VERSION}"

# A fixed uid/gid, so that volumes and Kubernetes securityContext (runAsUser) can rely on it.
# The only writable folders: beat/ holds beat's schedule state (a volume for the `beat` process,
# so that last-run times survive a restart), storage/ the file store when STORAGE_BACKEND=local
# (a volume shared with the API; production uses S3).
RUN groupadd --system --gid 10001 vet \
    && useradd --system --uid 10001 --gid vet --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin vet \
    && install --directory --owner 10001 --group 10001 --mode 0750 \
       /var/lib/vet-clinic /var/lib/vet-clinic/beat /var/lib/vet-clinic/storage

COPY --from=builder /app/.venv /app/.venv

# VET_EMBEDDED_DIR: the folder `vet-clinic-jobs beat` writes celerybeat-schedule to (the name
# comes from the development setup; the image has no embedded servers, so DATABASE_URL and
# REDIS_URL must be set).
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VET_EMBEDDED_DIR=/var/lib/vet-clinic/beat \
    STORAGE_LOCAL_ROOT=/var/lib/vet-clinic/storage

# Numeric, so that "runAsNonRoot" checks can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /app

# The worker answers a broadcast ping on the broker (the default node name is celery@$HOSTNAME).
# beat, relay and flower run from this image too and override it (see docker/compose.yaml).
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "celery --app vet_clinic_jobs.celery_app inspect ping --destination \"celery@$HOSTNAME\" --timeout 10 >/dev/null"]

# Exec form: Celery is PID 1 and gets SIGTERM for a warm shutdown (finishes running tasks; run
# with --init, or compose's `init: true`, to reap zombies).
CMD ["vet-clinic-jobs", "worker"]
