"""What a file really is, read from its first bytes, and how large each kind may be.

Why the bytes and not the name or the declared type: both come from the client. A PNG renamed
``report.pdf`` must not be served as a PDF to a clinic's browser, and an HTML page must not be
stored at all. Only the formats a veterinary practice exchanges are accepted.
"""

from __future__ import annotations

from enum import StrEnum

from vet_core.exceptions import BusinessRuleException, ValidationException

#: How many leading bytes :func:`sniff` needs (DICOM's marker sits at offset 128).
SNIFF_BYTES = 4096
MB = 1024 * 1024


class FileKind(StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"
    MEDICAL_IMAGE = "medical_image"
    TEXT = "text"


#: Accepted content types and the kind each belongs to.
CONTENT_TYPES: dict[str, FileKind] = {
    "image/jpeg": FileKind.IMAGE,
    "image/png": FileKind.IMAGE,
    "image/gif": FileKind.IMAGE,
    "image/webp": FileKind.IMAGE,
    "image/heic": FileKind.IMAGE,
    "image/heif": FileKind.IMAGE,
    "application/pdf": FileKind.DOCUMENT,
    "application/dicom": FileKind.MEDICAL_IMAGE,
    "text/plain": FileKind.TEXT,
    "text/csv": FileKind.TEXT,
}

#: Largest accepted size per kind: phone photos, scanned reports, radiographs, exports.
MAX_BYTES: dict[FileKind, int] = {
    FileKind.IMAGE: 25 * MB,
    FileKind.DOCUMENT: 50 * MB,
    FileKind.MEDICAL_IMAGE: 500 * MB,
    FileKind.TEXT: 10 * MB,
}

#: Types Pillow can re-encode (EXIF stripped, thumbnails); HEIC needs a plugin we do not ship.
PROCESSABLE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}


def normalise_content_type(raw: str) -> str:
    """``Image/JPG; charset=x`` → ``image/jpeg``: lowercase, no parameters, known aliases."""
    value = raw.split(";", 1)[0].strip().lower()
    return _ALIASES.get(value, value)


def kind_of(content_type: str) -> FileKind:
    """The kind of an accepted type, or ``UNSUPPORTED_FILE_TYPE``."""
    kind = CONTENT_TYPES.get(normalise_content_type(content_type))
    if kind is None:
        raise ValidationException(
            f"Files of type {content_type!r} are not accepted",
            code="UNSUPPORTED_FILE_TYPE",
            details={"accepted": sorted(CONTENT_TYPES)},
        )
    return kind


def check_size(content_type: str, size: int) -> None:
    """Refuse an empty file or one above its kind's limit (``FILE_TOO_LARGE``)."""
    kind = kind_of(content_type)
    if size <= 0:
        raise ValidationException("The file is empty", code="FILE_EMPTY")
    if size > MAX_BYTES[kind]:
        raise ValidationException(
            f"{kind.value.replace('_', ' ').capitalize()} files may be at most"
            f" {MAX_BYTES[kind] // MB} MB",
            code="FILE_TOO_LARGE",
            details={"max_bytes": MAX_BYTES[kind], "size_bytes": size},
        )


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniff window is still text.
        if error.start < len(head) - 3:
            return False
        decoded = head[: error.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in decoded)
    lowered = decoded.lstrip().lower()
    if lowered.startswith(("<!doctype html", "<html", "<script", "<svg", "<?xml")):
        return False  # markup is active content in a browser, not plain text
    return printable >= 0.95 * len(decoded)


def sniff(head: bytes) -> str | None:  # noqa: PLR0911 - one return per format reads best
    """The content type the leading bytes prove, or ``None`` for anything not accepted.

    Text is reported as ``text/plain``: CSV is plain text whose structure the bytes cannot prove.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _HEIF_BRANDS:
            return "image/heif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[128:132] == b"DICM":
        return "application/dicom"
    if _looks_like_text(head):
        return "text/plain"
    return None


def resolve_content_type(declared: str, head: bytes) -> str:
    """The type to store: the declared one if the bytes agree with it, else refuse.

    Raises ``FILE_TYPE_MISMATCH`` when the bytes are another accepted format (a PNG declared as
    PDF) and ``UNSUPPORTED_FILE_TYPE`` when they are nothing accepted.
    """
    declared_type = normalise_content_type(declared)
    kind_of(declared_type)
    actual = sniff(head)
    if actual is None:
        raise ValidationException(
            "The file's contents are not of an accepted type", code="UNSUPPORTED_FILE_TYPE"
        )
    compatible = (
        actual == declared_type
        or (actual == "text/plain" and declared_type in ("text/plain", "text/csv"))
        or ({actual, declared_type} <= {"image/heic", "image/heif"})
    )
    if not compatible:
        raise BusinessRuleException(
            f"The file was declared as {declared_type} but its contents are {actual}",
            code="FILE_TYPE_MISMATCH",
            details={"declared": declared_type, "detected": actual},
        )
    return declared_type


__all__ = [
    "CONTENT_TYPES",
    "MAX_BYTES",
    "PROCESSABLE_IMAGES",
    "SNIFF_BYTES",
    "FileKind",
    "check_size",
    "kind_of",
    "normalise_content_type",
    "resolve_content_type",
    "sniff",
]
