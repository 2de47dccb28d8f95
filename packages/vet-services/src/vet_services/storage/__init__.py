"""File storage: the backend interface shared by S3 and the local folder, and how to pick one.

Backends are synchronous (boto3 is); services call them through ``asyncio.to_thread`` so the
event loop never waits on the network. Keys are chosen by the services, never by clients.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from vet_services.storage.settings import StorageSettings


@dataclass(frozen=True, slots=True)
class PresignedRequest:
    """An HTTP request a client may make once, until ``expires_at``, without our credentials.

    The client must send exactly ``headers`` (content type, length and checksum are signed).
    """

    method: str
    url: str
    expires_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ObjectHead:
    """What the store says about a stored object without sending its bytes."""

    size: int
    content_type: str | None


class ObjectStorage(Protocol):
    """What every backend offers (S3 and the local folder)."""

    bucket: str

    def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        checksum_sha256_b64: str,
        expires_in: int,
    ) -> PresignedRequest: ...

    def presign_get(
        self, key: str, *, expires_in: int, download_name: str | None = None
    ) -> PresignedRequest: ...

    def head(self, key: str) -> ObjectHead | None: ...

    def iter_bytes(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]: ...

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...


def storage_from_settings(settings: StorageSettings | None = None) -> ObjectStorage:
    """The backend ``settings`` (default: from the environment) describe."""
    settings = settings or StorageSettings()
    if settings.backend == "s3":
        from vet_services.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    from vet_services.storage.local import LocalStorage

    return LocalStorage.from_settings(settings)


__all__ = [
    "ObjectHead",
    "ObjectStorage",
    "PresignedRequest",
    "StorageSettings",
    "storage_from_settings",
]
