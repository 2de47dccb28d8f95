"""Image processing after upload: strip metadata, honour orientation, make thumbnails.

Why re-encode instead of deleting EXIF tags: a photo of a pet taken at home carries the owner's
GPS position, and metadata hides in more places than one tag list (XMP, MakerNotes, thumbnails
inside the EXIF block). Rebuilding the image from its pixels alone drops all of it. The
orientation tag is applied to the pixels first, so the picture still shows the right way up.

:func:`process_image` is what the ``files.process_image`` job calls, in its own transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from dataclasses import dataclass

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.enums import FileStatus
from vet_core.models.files import FileObject
from vet_services.storage import ObjectStorage
from vet_services.storage.sniff import PROCESSABLE_IMAGES

#: Longest side in pixels of each thumbnail: list cards and the detail view.
THUMBNAIL_SIZES: tuple[int, ...] = (256, 1024)
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def thumbnail_key(storage_key: str, size: int) -> str:
    """Where the ``size`` thumbnail of an object is stored (always a JPEG)."""
    return f"{storage_key}.thumb-{size}.jpg"


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """The clean image's bytes and its thumbnails, keyed by size."""

    data: bytes
    width: int
    height: int
    thumbnails: dict[int, bytes]


def _pixels_only(image: Image.Image) -> Image.Image:
    """A new image with the same pixels and none of the source's metadata."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode == "P":
        palette = upright.getpalette()
        if palette is not None:
            clean.putpalette(palette)
    return clean


def _encode(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=88, optimize=True)
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()


def clean_image(data: bytes, content_type: str) -> ProcessedImage:
    """Re-encode ``data`` without metadata, upright, and make the thumbnails (pure function)."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        clean = _pixels_only(source)
    thumbnails: dict[int, bytes] = {}
    for size in THUMBNAIL_SIZES:
        thumb = clean.copy()
        thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
        thumbnails[size] = _encode(thumb.convert("RGB"), "JPEG")
    return ProcessedImage(
        data=_encode(clean, _FORMATS[content_type]),
        width=clean.width,
        height=clean.height,
        thumbnails=thumbnails,
    )


def _process_stored(storage: ObjectStorage, key: str, content_type: str) -> ProcessedImage:
    processed = clean_image(storage.get(key), content_type)
    for size, thumb in processed.thumbnails.items():
        storage.put(thumbnail_key(key, size), thumb, content_type="image/jpeg")
    storage.put(key, processed.data, content_type=content_type)
    return processed


async def process_image(
    session: AsyncSession, storage: ObjectStorage, file_id: uuid.UUID
) -> ProcessedImage | None:
    """Strip metadata from a stored image in place and store its thumbnails.

    Returns ``None`` (nothing to do) for a file that is gone, not available or not an image
    Pillow re-encodes. The stored size and checksum are updated to the clean bytes. Running it
    twice is harmless: the second pass re-encodes an already clean image.
    """
    file = (
        await session.execute(
            select(FileObject)
            .where(FileObject.id == file_id, FileObject.not_deleted())
            .with_for_update()
        )
    ).scalar_one_or_none()
    if (
        file is None
        or file.status is not FileStatus.AVAILABLE
        or file.content_type not in PROCESSABLE_IMAGES
    ):
        return None
    processed = await asyncio.to_thread(
        _process_stored, storage, file.storage_key, file.content_type
    )
    file.size_bytes = len(processed.data)
    file.checksum_sha256 = hashlib.sha256(processed.data).hexdigest()
    await session.flush()
    return processed


__all__ = ["THUMBNAIL_SIZES", "ProcessedImage", "clean_image", "process_image", "thumbnail_key"]
