"""The image job: EXIF (GPS included) stripped by re-encoding, upright pixels, two thumbnails."""

from __future__ import annotations

import io

import httpx
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession
from storage_builders import PetCase, jpeg_with_gps, sha256_hex

from vet_services.storage.images import THUMBNAIL_SIZES, clean_image, process_image, thumbnail_key
from vet_services.storage.s3 import S3Storage
from vet_services.storage.service import confirm_upload, download_url, request_upload


def test_clean_image_drops_exif_and_applies_orientation() -> None:
    original = jpeg_with_gps((1600, 1200), orientation=6)
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(0x8825)  # the GPS block is there

    processed = clean_image(original, "image/jpeg")

    with Image.open(io.BytesIO(processed.data)) as after:
        assert len(after.getexif()) == 0
        assert "exif" not in after.info
        assert after.size == (1200, 1600)  # rotated upright
        # The red quadrant was top-left; after a 90° clockwise turn it is top-right.
        red, green, _ = after.convert("RGB").getpixel((1100, 100))  # type: ignore[misc]
        assert red > 150
        assert green < 100
    assert b"PhoneMaker" not in processed.data
    for size in THUMBNAIL_SIZES:
        with Image.open(io.BytesIO(processed.thumbnails[size])) as thumb:
            assert max(thumb.size) == size
            assert thumb.format == "JPEG"
            assert len(thumb.getexif()) == 0


async def test_process_image_rewrites_the_stored_photo_and_stores_thumbnails(
    db_session: AsyncSession, s3_storage: S3Storage, case: PetCase
) -> None:
    data = jpeg_with_gps((2000, 1500), orientation=1)
    ticket = await request_upload(
        db_session,
        case.owner,
        s3_storage,
        entity_type="pet",
        entity_id=case.pet.id,
        filename="pepper.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        checksum_sha256=sha256_hex(data),
    )
    async with httpx.AsyncClient() as client:
        await client.put(ticket.upload.url, content=data, headers=dict(ticket.upload.headers))
    file = await confirm_upload(db_session, case.owner, s3_storage, ticket.file_id)

    processed = await process_image(db_session, s3_storage, file.id)

    assert processed is not None
    stored = s3_storage.get(file.storage_key)
    assert stored == processed.data
    assert file.checksum_sha256 == sha256_hex(stored)
    assert file.size_bytes == len(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert len(image.getexif()) == 0
    for size in THUMBNAIL_SIZES:
        head = s3_storage.head(thumbnail_key(file.storage_key, size))
        assert head is not None
        assert head.content_type == "image/jpeg"
    link = await download_url(db_session, case.vet, s3_storage, file.id, thumbnail=256)
    async with httpx.AsyncClient() as client:
        thumbnail = await client.get(link.url)
    with Image.open(io.BytesIO(thumbnail.content)) as thumb:
        assert thumb.size == (256, 192)
