"""The local-folder backend: the development default, with the same interface as S3.

"Presigned" URLs point at an API route and carry an HMAC-SHA256 signature over the method, key,
expiry and (for uploads) the declared content type, length and checksum. :func:`sign` and
:func:`verify` are what that route uses; :meth:`LocalStorage.accept_upload` additionally checks the
body against the signed length and checksum before writing, as S3 does for a signed PUT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from vet_core.exceptions import AuthenticationException, NotFoundException, ValidationException
from vet_core.utils.time import utcnow
from vet_services.storage import ObjectHead, PresignedRequest
from vet_services.storage.settings import StorageSettings

_KEY_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,511}")
_TYPE_SUFFIX = ".content-type"


def _message(
    method: str,
    key: str,
    expires: int,
    content_type: str = "",
    content_length: str = "",
    checksum: str = "",
) -> bytes:
    return "\n".join(
        [method.upper(), key, str(expires), content_type, content_length, checksum]
    ).encode()


def sign(
    signing_key: bytes,
    method: str,
    key: str,
    expires: int,
    *,
    content_type: str = "",
    content_length: str = "",
    checksum: str = "",
) -> str:
    """The hex HMAC-SHA256 of a request: ``expires`` is a Unix timestamp in seconds."""
    message = _message(method, key, expires, content_type, content_length, checksum)
    return hmac.new(signing_key, message, hashlib.sha256).hexdigest()


def verify(
    signing_key: bytes,
    method: str,
    key: str,
    query: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> None:
    """Accept a request whose query string :func:`sign` produced, or raise.

    Raises :class:`AuthenticationException` (``SIGNED_URL_INVALID`` / ``SIGNED_URL_EXPIRED``).
    """
    try:
        expires = int(query.get("expires", ""))
    except ValueError:
        raise AuthenticationException("The link is not valid", code="SIGNED_URL_INVALID") from None
    expected = sign(
        signing_key,
        method,
        key,
        expires,
        content_type=query.get("content_type", ""),
        content_length=query.get("content_length", ""),
        checksum=query.get("sha256", ""),
    )
    # compare_digest refuses non-ASCII str; compare bytes so any junk is just a wrong signature.
    given = query.get("signature", "").encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(expected.encode(), given):
        raise AuthenticationException("The link is not valid", code="SIGNED_URL_INVALID")
    if (now or utcnow()).timestamp() >= expires:
        raise AuthenticationException("The link has expired", code="SIGNED_URL_EXPIRED")


class LocalStorage:
    """Objects as files under ``root``; URLs served and verified by the API."""

    def __init__(
        self, root: Path, *, base_url: str, signing_key: bytes, bucket: str = "local"
    ) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.signing_key = signing_key
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> LocalStorage:
        return cls(
            settings.local_root,
            base_url=settings.local_base_url,
            signing_key=settings.local_signing_key.get_secret_value().encode(),
            bucket=settings.bucket,
        )

    def _path(self, key: str) -> Path:
        if not _KEY_SHAPE.fullmatch(key) or ".." in key.split("/"):
            raise ValidationException("Invalid storage key", code="INVALID_STORAGE_KEY")
        return self.root / self.bucket / key

    def _url(self, method: str, key: str, expires_in: int, **signed: str) -> tuple[str, datetime]:
        expires_at = (utcnow() + timedelta(seconds=expires_in)).replace(microsecond=0)
        expires = int(expires_at.timestamp())
        signature = sign(
            self.signing_key,
            method,
            key,
            expires,
            content_type=signed.get("content_type", ""),
            content_length=signed.get("content_length", ""),
            checksum=signed.get("sha256", ""),
        )
        query = {**signed, "expires": str(expires), "signature": signature}
        return f"{self.base_url}/{quote(key)}?{urlencode(query)}", expires_at

    def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        checksum_sha256_b64: str,
        expires_in: int,
    ) -> PresignedRequest:
        self._path(key)
        url, expires_at = self._url(
            "PUT",
            key,
            expires_in,
            content_type=content_type,
            content_length=str(content_length),
            sha256=checksum_sha256_b64,
        )
        return PresignedRequest(
            method="PUT",
            url=url,
            expires_at=expires_at,
            headers={"Content-Type": content_type, "Content-Length": str(content_length)},
        )

    def presign_get(
        self, key: str, *, expires_in: int, download_name: str | None = None
    ) -> PresignedRequest:
        self._path(key)
        url, expires_at = self._url("GET", key, expires_in)
        return PresignedRequest(method="GET", url=url, expires_at=expires_at)

    def accept_upload(
        self,
        key: str,
        query: Mapping[str, str],
        body: bytes,
        *,
        content_type: str,
        now: datetime | None = None,
    ) -> None:
        """What the API's PUT route does: verify the signature, then the body, then store it."""
        verify(self.signing_key, "PUT", key, query, now=now)
        if content_type != query.get("content_type"):
            raise AuthenticationException("The link is not valid", code="SIGNED_URL_INVALID")
        if str(len(body)) != query.get("content_length"):
            raise ValidationException(
                "The body length differs from the signed one", code="FILE_SIZE_MISMATCH"
            )
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if not hmac.compare_digest(digest, query.get("sha256", "")):
            raise ValidationException(
                "The body checksum differs from the signed one", code="FILE_CHECKSUM_MISMATCH"
            )
        self.put(key, body, content_type=content_type)

    def head(self, key: str) -> ObjectHead | None:
        path = self._path(key)
        if not path.is_file():
            return None
        type_file = path.with_name(path.name + _TYPE_SUFFIX)
        content_type = type_file.read_text() if type_file.is_file() else None
        return ObjectHead(size=path.stat().st_size, content_type=content_type)

    def iter_bytes(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundException("File not found", code="FILE_NOT_FOUND")
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def get(self, key: str) -> bytes:
        return b"".join(self.iter_bytes(key))

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        Path(temporary).replace(path)
        path.with_name(path.name + _TYPE_SUFFIX).write_text(content_type)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + _TYPE_SUFFIX).unlink(missing_ok=True)


def expires_at_of(query: Mapping[str, str]) -> datetime:
    """When a signed local URL stops working (for responses' ``Expires`` headers)."""
    return datetime.fromtimestamp(int(query["expires"]), tz=UTC)


__all__ = ["LocalStorage", "expires_at_of", "sign", "verify"]
