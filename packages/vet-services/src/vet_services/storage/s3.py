"""The S3 backend (boto3): AWS S3 or any S3-compatible endpoint such as Supabase Storage.

Why presigned PUTs carry the content type, length and SHA-256: SigV4 signs those headers, so the
URL only accepts the exact upload that was declared; S3 itself rejects a body whose checksum
differs. The confirm step still re-reads the object, because not every compatible server checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from vet_core.utils.time import utcnow
from vet_services.storage import ObjectHead, PresignedRequest
from vet_services.storage.settings import StorageSettings

_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Objects in one bucket of an S3-compatible store."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> S3Storage:
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": settings.s3_addressing_style},
            # Only the checksum we declare: no SDK-added CRC headers the browser cannot send.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
        )
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=(
                settings.access_key_id.get_secret_value() if settings.access_key_id else None
            ),
            aws_secret_access_key=(
                settings.secret_access_key.get_secret_value()
                if settings.secret_access_key
                else None
            ),
            config=config,
        )
        return cls(client, settings.bucket)

    def presign_put(
        self,
        key: str,
        *,
        content_type: str,
        content_length: int,
        checksum_sha256_b64: str,
        expires_in: int,
    ) -> PresignedRequest:
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": content_length,
                "ChecksumSHA256": checksum_sha256_b64,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return PresignedRequest(
            method="PUT",
            url=str(url),
            expires_at=utcnow() + timedelta(seconds=expires_in),
            headers={
                "Content-Type": content_type,
                "Content-Length": str(content_length),
                "x-amz-checksum-sha256": checksum_sha256_b64,
            },
        )

    def presign_get(
        self, key: str, *, expires_in: int, download_name: str | None = None
    ) -> PresignedRequest:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if download_name:
            params["ResponseContentDisposition"] = (
                f"attachment; filename*=UTF-8''{quote(download_name, safe='')}"
            )
        url = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET"
        )
        return PresignedRequest(
            method="GET", url=str(url), expires_at=utcnow() + timedelta(seconds=expires_in)
        )

    def head(self, key: str) -> ObjectHead | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                return None
            raise
        return ObjectHead(
            size=int(response["ContentLength"]), content_type=response.get("ContentType")
        )

    def iter_bytes(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def get(self, key: str) -> bytes:
        return b"".join(self.iter_bytes(key))

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


__all__ = ["S3Storage"]
