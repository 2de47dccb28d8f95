# syntax=docker/dockerfile:1.7
#
# The REST API (distribution vet-clinic-api), built from the workspace root:
#
#     docker build -f docker/api.Dockerfile -t vet-clinic-api .
#
# Two stages, after uv's Docker guide: the builder syncs the locked dependencies first (a layer
# that changes only with uv.lock), then installs the workspace members as plain wheels
# (--no-editable), so the final image needs nothing but the virtualenv: no uv, no sources, no
# compiler. Migrations are NOT run here: `vet-core db upgrade` is a separate one-shot
# (docker/compose.yaml's `migrate` service), so that replicas never race each other on a schema.

# Both stages use the same interpreter build: the virtualenv links to /usr/local/bin/python3.12.
# Tags are pinned; CI/Renovate may add @sha256 digests.
ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm
# The uv that wrote uv.lock (uv --version); a newer one would also read it.
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /uvx /bin/

# Bytecode compiled at build time (fast cold start, read-only image); copy rather than hard-link
# out of the cache mount (a different filesystem); the base image's Python, never a download.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# 1. Third-party dependencies only, exactly as locked. uv reads the whole workspace to find the
#    package, so every member's pyproject.toml is mounted (the root lists packages/* and apps/*).
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=bind,source=packages/vet-core/pyproject.toml,target=packages/vet-core/pyproject.toml \
    --mount=type=bind,source=packages/vet-services/pyproject.toml,target=packages/vet-services/pyproject.toml \
    --mount=type=bind,source=apps/vet-clinic-api/pyproject.toml,target=apps/vet-clinic-api/pyproject.toml \
    --mount=type=bind,source=apps/vet-clinic-background-jobs/pyproject.toml,target=apps/vet-clinic-background-jobs/pyproject.toml \
    uv sync --frozen --no-install-workspace --no-dev --package vet-clinic-api

# 2. The members the API depends on, installed as wheels. The worker app is not copied: only its
#    pyproject.toml is needed, for uv to see a complete workspace.
COPY pyproject.toml uv.lock ./
COPY packages/vet-core packages/vet-core
COPY packages/vet-services packages/vet-services
COPY apps/vet-clinic-api apps/vet-clinic-api
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=apps/vet-clinic-background-jobs/pyproject.toml,target=apps/vet-clinic-background-jobs/pyproject.toml \
    uv sync --frozen --no-dev --no-editable --package vet-clinic-api


FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.0.0.dev0
LABEL org.opencontainers.image.title="vet-clinic-api" \
      org.opencontainers.image.description="The REST API of the open veterinary clinic platform" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/vet-clinic-platform/vet-clinic-platform" \
      org.opencontainers.image.version="${VERSION}"

# A fixed uid/gid, so that volumes and Kubernetes securityContext (runAsUser) can rely on it.
# /var/lib/vet-clinic/storage is the one writable folder: the file store when STORAGE_BACKEND=local
# (a volume shared with the worker; production uses S3 and needs nothing writable).
RUN groupadd --system --gid 10001 vet \
    && useradd --system --uid 10001 --gid vet --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin vet \
    && install --directory --owner 10001 --group 10001 --mode 0750 \
       /var/lib/vet-clinic /var/lib/vet-clinic/storage

# Only the virtualenv; root owns it, so the process cannot rewrite its own code.
COPY --from=builder /app/.venv /app/.venv

ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    API_ENVIRONMENT=production \
    STORAGE_LOCAL_ROOT=/var/lib/vet-clinic/storage

# Numeric, so that "runAsNonRoot" checks can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /app
EXPOSE 8000

# Liveness only (the process answers): readiness (/health/ready) checks PostgreSQL and Redis and
# belongs to the orchestrator, or a database blip would get every replica restarted at once.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]

# Exec form: uvicorn is PID 1 and receives SIGTERM for a graceful shutdown (run with --init, or
# compose's `init: true`, to reap zombies). More processes: append --workers N.
CMD ["vet-clinic-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
