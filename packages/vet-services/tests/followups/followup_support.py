"""Helpers of the follow-up tests."""

from __future__ import annotations


def plain(mail: object) -> str:
    """The plain-text body of a received mail."""
    message = mail.message  # type: ignore[attr-defined]
    return str(message.get_body(preferencelist=("plain",)).get_content())
