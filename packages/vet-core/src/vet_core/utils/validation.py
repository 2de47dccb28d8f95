"""Validation and normalisation of the values people type: phones, emails, names, microchips.

Each function returns the normalised value or raises
:class:`~vet_core.exceptions.SchemaValidationException` with a message fit to show the user; the
schemas wrap these functions so the same message becomes a field error.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.time import parse_timezone

PERSON_NAME_MAX_LENGTH = 100
MICROCHIP_LENGTH = 15

_MICROCHIP_SEPARATORS = re.compile(r"[\s\-]+")
# Apostrophes (straight and typographic), hyphens (ASCII and Unicode) and dots join name parts.
_NAME_PUNCTUATION = frozenset("'\u2019\u02bc-\u2010\u2011.")


def _fail(message: str, field: str, value: object | None = None) -> SchemaValidationException:
    details: dict[str, object] = {"field": field}
    if value is not None:
        details["value"] = value
    return SchemaValidationException(message, details=details)


def _require_str(raw: object, field: str) -> str:
    if not isinstance(raw, str):
        raise _fail(f"{field} must be a string", field)
    return raw


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """The number in E.164 (``+14155552671``), or an error if it is not a valid phone number.

    Numbers without a leading ``+`` need ``default_region`` (ISO 3166 alpha-2, e.g. ``"US"``) to
    be understood; validity is checked against the numbering plan, not just the length.
    """
    text = _require_str(raw, "phone").strip()
    if not text:
        raise _fail("phone must not be empty", "phone")
    region = default_region.upper() if default_region else None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise _fail(
                f"phone '{text}' has no country code; write it as +<country code><number>",
                "phone",
                text,
            ) from exc
        raise _fail(f"phone '{text}' is not a phone number", "phone", text) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise _fail(f"phone '{text}' is not a valid phone number", "phone", text)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """The normalised address (domain lowercased, IDNA handled), without any DNS lookup.

    The local part keeps its case, as RFC 5321 allows mailboxes to be case-sensitive; uniqueness
    in the database is case-insensitive anyway.
    """
    text = _require_str(raw, "email").strip()
    if not text:
        raise _fail("email must not be empty", "email")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _fail(f"email '{text}' is not valid: {exc}", "email", text) from exc
    return f"{result.local_part}@{result.domain.lower()}"


def validate_microchip(raw: str) -> str:
    """The 15 digits of an ISO 11784/11785 (FDX-B) microchip, spaces and dashes removed."""
    text = _MICROCHIP_SEPARATORS.sub("", _require_str(raw, "microchip"))
    if len(text) != MICROCHIP_LENGTH or not (text.isascii() and text.isdigit()):
        raise _fail(
            f"microchip must be exactly {MICROCHIP_LENGTH} digits (ISO 11784/11785), got '{raw}'",
            "microchip",
            raw,
        )
    return text


def validate_person_name(raw: str, *, field: str = "name") -> str:
    """A trimmed, NFC-normalised personal name of 1–100 characters.

    Letters of any script (with their combining marks), spaces, apostrophes, hyphens and dots are
    allowed: "Zoë O'Brien-Núñez", "José Ma.", "李小龙". Digits, symbols and control characters
    are not. Runs of whitespace collapse to one space.
    """
    text = " ".join(unicodedata.normalize("NFC", _require_str(raw, field)).split())
    if not text:
        raise _fail(f"{field} must not be empty", field)
    if len(text) > PERSON_NAME_MAX_LENGTH:
        raise _fail(
            f"{field} must be at most {PERSON_NAME_MAX_LENGTH} characters, got {len(text)}",
            field,
        )
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LM" or char == " " or char in _NAME_PUNCTUATION:
            continue
        what = "digits" if category == "Nd" else f"the character {char!r}"
        raise _fail(
            f"{field} may contain only letters, spaces, apostrophes, hyphens and dots, not {what}",
            field,
            raw,
        )
    if not any(unicodedata.category(char)[0] == "L" for char in text):
        raise _fail(f"{field} must contain at least one letter", field, raw)
    return text


def validate_timezone_name(raw: str) -> str:
    """The IANA timezone name, trimmed, if it names a zone (``Europe/London``)."""
    text = _require_str(raw, "timezone").strip()
    parse_timezone(text)
    return text


__all__ = [
    "MICROCHIP_LENGTH",
    "PERSON_NAME_MAX_LENGTH",
    "normalize_email",
    "normalize_phone",
    "validate_microchip",
    "validate_person_name",
    "validate_timezone_name",
]
