"""The notification templates and their renderer (Jinja2), per language, text and HTML.

Templates live beside this module in ``<language>/<name>.<part>`` where the parts are ``subject.txt``,
``txt`` (e-mail plain text), ``html`` (e-mail HTML, autoescaped) and ``short.txt`` (SMS, push
and in-app). A user's language falls back from the most specific tag to English (``pt-BR`` →
``pt`` → ``en``), so adding a translation is adding a folder. Dates are formatted here, in the
recipient's language, because a template should not have to know about timezones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from vet_core.exceptions import ConfigurationException

TEMPLATE_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"
TEMPLATE_MISSING = "NOTIFICATION_TEMPLATE_MISSING"

_MONTHS: Mapping[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}
_WEEKDAYS: Mapping[str, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


def language_chain(language: str | None) -> list[str]:
    """``pt-BR`` → ``["pt-BR", "pt", "en"]``: the folders to try, most specific first."""
    chain: list[str] = []
    if language:
        parts = language.split("-")
        chain = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if DEFAULT_LANGUAGE not in chain:
        chain.append(DEFAULT_LANGUAGE)
    return chain


def format_local(value: datetime, language: str, *, with_time: bool = True) -> str:
    """A local (already converted) datetime spelled out for a reader of ``language``.

    English: "Tuesday 18 March 2031 at 09:00 EDT"; Spanish: "martes 18 de marzo de 2031, 09:00
    EDT". The zone abbreviation is kept so nobody wonders whose nine o'clock it is.
    """
    base = language.split("-", maxsplit=1)[0]
    months = _MONTHS.get(base, _MONTHS["en"])
    weekdays = _WEEKDAYS.get(base, _WEEKDAYS["en"])
    weekday, month = weekdays[value.weekday()], months[value.month - 1]
    clock = f"{value:%H:%M} {value.tzname() or ''}".strip()
    if base == "es":
        day = f"{weekday} {value.day} de {month} de {value.year}"
        return f"{day}, {clock}" if with_time else day
    day = f"{weekday} {value.day} {month} {value.year}"
    return f"{day} at {clock}" if with_time else day


def join_names(names: list[str], language: str) -> str:
    """ "Rex", "Rex and Bella", "Rex, Bella and Max" (``y`` in Spanish)."""
    conjunction = "y" if language.split("-", maxsplit=1)[0] == "es" else "and"
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """Every part of one notification in one language."""

    language: str
    subject: str
    text: str
    html: str
    short: str


class TemplateRenderer:
    """Renders the named template in the best available language."""

    def __init__(self, directory: Path = TEMPLATE_DIR) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(directory),
            # Only the HTML part is escaped: a pet named "<b>Rex</b>" stays text in HTML, and
            # plain-text parts are not littered with "&lt;".
            autoescape=select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.environment.filters["join_names"] = join_names

    def _language_of(self, name: str, language: str | None) -> str:
        for candidate in language_chain(language):
            try:
                self.environment.get_template(f"{candidate}/{name}.subject.txt")
            except TemplateNotFound:
                continue
            return candidate
        raise ConfigurationException(
            f"no template {name!r} in any language", code=TEMPLATE_MISSING, details={"name": name}
        )

    def render(
        self, name: str, language: str | None, context: Mapping[str, Any]
    ) -> RenderedMessage:
        """Render every part of template ``name`` for a reader of ``language``."""
        chosen = self._language_of(name, language)
        values = {**context, "language": chosen}

        def part(suffix: str) -> str:
            template = self.environment.get_template(f"{chosen}/{name}.{suffix}")
            return template.render(values).strip()

        return RenderedMessage(
            language=chosen,
            subject=" ".join(part("subject.txt").split()),
            text=part("txt") + "\n",
            html=part("html"),
            short=" ".join(part("short.txt").split()),
        )


__all__ = [
    "DEFAULT_LANGUAGE",
    "RenderedMessage",
    "TemplateRenderer",
    "format_local",
    "join_names",
    "language_chain",
]
