"""Fixtures of the storage tests: S3 on loopback (moto server), a local backend, a pet case.

The S3 backend talks HTTP to ``ThreadedMotoServer`` on 127.0.0.1 with boto3, and the tests
upload and download through the presigned URLs with httpx, exactly as a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession
from storage_builders import PetCase, StorageBuilder

from vet_services.storage.local import LocalStorage
from vet_services.storage.s3 import S3Storage
from vet_services.storage.settings import StorageSettings


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 on a free loopback port for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_settings(s3_endpoint: str) -> StorageSettings:
    return StorageSettings(
        backend="s3",
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        bucket="vet-files-test",
        access_key_id=SecretStr("testing"),
        secret_access_key=SecretStr("testing"),
        presign_expiry_seconds=300,
    )


@pytest.fixture(scope="session")
def s3_storage(s3_settings: StorageSettings) -> S3Storage:
    storage = S3Storage.from_settings(s3_settings)
    storage.client.create_bucket(Bucket=s3_settings.bucket)
    return storage


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(
        tmp_path / "files", base_url="http://127.0.0.1:8000/files", signing_key=b"k" * 32
    )


@pytest.fixture
async def case(db_session: AsyncSession) -> PetCase:
    """A pet, its owner, its clinic's staff, outsiders and a lab-result health record."""
    return await StorageBuilder(db_session).pet_case()
