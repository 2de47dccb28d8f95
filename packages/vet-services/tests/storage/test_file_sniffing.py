"""Content types come from the bytes; each kind has its own size limit."""

from __future__ import annotations

import pytest
from storage_builders import jpeg_with_gps, pdf_bytes, png_bytes

from vet_core.exceptions import ValidationException
from vet_services.storage.sniff import MAX_BYTES, FileKind, check_size, resolve_content_type, sniff


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png"),
        (b"GIF89a" + b"\x00" * 20, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x00" * 128 + b"DICM" + b"\x02\x00", "application/dicom"),
        (b"name,species\nPepper,cat\n", "text/plain"),
        (b"<!DOCTYPE html><script>alert(1)</script>", None),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
    ],
)
def test_sniff_reads_magic_numbers(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_real_files_are_recognised() -> None:
    assert sniff(png_bytes()) == "image/png"
    assert sniff(jpeg_with_gps()) == "image/jpeg"
    assert sniff(pdf_bytes()) == "application/pdf"


def test_a_png_declared_as_pdf_is_refused() -> None:
    with pytest.raises(ValidationException) as raised:
        resolve_content_type("application/pdf", png_bytes())
    assert raised.value.code == "FILE_TYPE_MISMATCH"


def test_csv_is_accepted_when_the_bytes_are_text() -> None:
    assert resolve_content_type("text/csv", b"a,b\n1,2\n") == "text/csv"
    assert resolve_content_type("image/JPG", jpeg_with_gps((8, 8))) == "image/jpeg"


def test_unknown_declared_type_is_unsupported() -> None:
    with pytest.raises(ValidationException) as raised:
        resolve_content_type("application/x-msdownload", b"MZ")
    assert raised.value.code == "UNSUPPORTED_FILE_TYPE"


def test_size_limits_differ_by_kind() -> None:
    check_size("application/dicom", 400 * 1024 * 1024)
    with pytest.raises(ValidationException) as raised:
        check_size("image/png", MAX_BYTES[FileKind.IMAGE] + 1)
    assert raised.value.code == "FILE_TOO_LARGE"
    with pytest.raises(ValidationException) as empty:
        check_size("text/csv", 0)
    assert empty.value.code == "FILE_EMPTY"
