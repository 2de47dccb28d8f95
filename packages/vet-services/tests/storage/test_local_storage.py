"""The local-folder backend: signed, expiring URLs that the API route verifies."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from storage_builders import pdf_bytes

from vet_core.exceptions import AuthenticationException, ValidationException
from vet_core.utils.time import utcnow
from vet_services.storage import storage_from_settings
from vet_services.storage.local import LocalStorage, verify
from vet_services.storage.settings import StorageSettings


def split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return unquote(parts.path.split("/files/", 1)[1]), dict(parse_qsl(parts.query))


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_signed_upload_is_accepted_once_verified(local_storage: LocalStorage) -> None:
    data = pdf_bytes()
    request = local_storage.presign_put(
        "pet/1/doc",
        content_type="application/pdf",
        content_length=len(data),
        checksum_sha256_b64=b64_sha256(data),
        expires_in=300,
    )
    key, query = split(request.url)

    local_storage.accept_upload(key, query, data, content_type="application/pdf")

    head = local_storage.head("pet/1/doc")
    assert head is not None
    assert (head.size, head.content_type) == (len(data), "application/pdf")
    get_key, get_query = split(local_storage.presign_get("pet/1/doc", expires_in=60).url)
    verify(local_storage.signing_key, "GET", get_key, get_query)
    assert local_storage.get(get_key) == data


def test_tampered_expired_or_mismatched_requests_are_refused(local_storage: LocalStorage) -> None:
    data = pdf_bytes()
    request = local_storage.presign_put(
        "pet/1/doc",
        content_type="application/pdf",
        content_length=len(data),
        checksum_sha256_b64=b64_sha256(data),
        expires_in=300,
    )
    key, query = split(request.url)

    with pytest.raises(AuthenticationException) as other_key:
        verify(local_storage.signing_key, "PUT", "pet/2/doc", query)
    assert other_key.value.code == "SIGNED_URL_INVALID"
    with pytest.raises(AuthenticationException) as as_get:
        verify(local_storage.signing_key, "GET", key, query)
    assert as_get.value.code == "SIGNED_URL_INVALID"
    for junk in ("é" * 43, "\udcff", ""):
        with pytest.raises(AuthenticationException) as garbled:
            verify(local_storage.signing_key, "PUT", key, {**query, "signature": junk})
        assert garbled.value.code == "SIGNED_URL_INVALID"
    with pytest.raises(AuthenticationException) as expired:
        verify(local_storage.signing_key, "PUT", key, query, now=utcnow() + timedelta(minutes=6))
    assert expired.value.code == "SIGNED_URL_EXPIRED"
    with pytest.raises(ValidationException) as changed:
        local_storage.accept_upload(key, query, data[:-1] + b"!", content_type="application/pdf")
    assert changed.value.code == "FILE_CHECKSUM_MISMATCH"
    assert local_storage.head(key) is None


def test_keys_cannot_escape_the_storage_folder(local_storage: LocalStorage) -> None:
    with pytest.raises(ValidationException):
        local_storage.put("pet/../../etc/passwd", b"x", content_type="text/plain")


def test_local_is_the_default_backend() -> None:
    storage = storage_from_settings(StorageSettings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(storage, LocalStorage)
