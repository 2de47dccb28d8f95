"""Where files are stored (``STORAGE_*``): any S3-compatible endpoint, or a local folder.

Why a local backend at all: a developer on a bare machine (the Quickstart) must be able to upload
a photo without an AWS account; the local backend keeps the same interface, including expiring
signed URLs that the API verifies, so the code paths are the ones production runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    """Object storage configuration, read from the environment with the ``STORAGE_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="STORAGE_", env_file=".env", extra="ignore")

    backend: Literal["s3", "local"] = "local"
    #: Unset means AWS itself; set it for Supabase Storage's S3 API, MinIO, moto…
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    #: Path-style addressing (``endpoint/bucket/key``) works with every S3-compatible server.
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    bucket: str = Field(default="vet-files", min_length=3, max_length=63)
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    #: Presigned URLs are bearer tokens: keep them short-lived (1–15 minutes).
    presign_expiry_seconds: int = Field(default=600, ge=60, le=900)
    local_root: Path = Path(".vet/storage")
    #: Base URL of the API route that serves local "presigned" requests.
    local_base_url: str = "http://127.0.0.1:8000/api/v1/storage/local"
    #: HMAC key of local signed URLs; required when ``backend`` is ``local`` outside tests.
    local_signing_key: SecretStr = SecretStr("development-only-signing-key-change-me")

    @field_validator("s3_endpoint_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


__all__ = ["StorageSettings"]
