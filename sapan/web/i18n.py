"""The portal's two languages: choosing one per request, gettext catalogues, dates and numbers.

Message ids are English; Thai comes from `locale/th/LC_MESSAGES/messages.po`, compiled in memory on
first use (so a fresh `pip install -e .` needs no build step and no .mo can go stale)."""

from __future__ import annotations

import gettext
import io
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_timedelta, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("th", "en")
DEFAULT = "th"
COOKIE = "lang"
LOCALE_DIR = Path(__file__).parent / "locale"
BUDDHIST_ERA_OFFSET = 543  # 2564 BE = 2021 CE


def pick_language(cookie: str | None, accept_language: str | None) -> str:
    """The visitor's remembered choice first, then their browser's preference, then Thai."""
    if cookie and cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, n, primary))
    return min(ranked)[2] if ranked else DEFAULT


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of a language (English needs none: the message ids are English)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


def format_date(value: Any, language: str) -> str:
    """25 มี.ค. 2564 in Thai (Buddhist era), 25 Mar 2021 in English; text that is no date as it is."""
    when = _as_date(value)
    if when is None:
        return "" if value is None else str(value)
    if language == "th":
        # CLDR's Thai month abbreviations; Babel formats only the Gregorian calendar, so the year is ours
        month = get_month_names("abbreviated", locale="th")[when.month]
        return f"{when.day} {month} {when.year + BUDDHIST_ERA_OFFSET}"
    return babel_format_date(when, "d MMM y", locale="en")


def format_ago(value: Any, language: str, now: datetime | None = None) -> str:
    """How long ago a time (ISO text in UTC, naive or with Z) was: "40 seconds ago", "40 วินาทีที่แล้ว"."""
    when = _as_date(value.removesuffix("Z") if isinstance(value, str) else value)
    if not isinstance(when, datetime):
        return ""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    naive = when if when.tzinfo is None else when.astimezone(UTC).replace(tzinfo=None)
    return format_timedelta(-max(now - naive, timedelta(0)), add_direction=True, locale=_locale(language))


def format_number(value: Any, language: str) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return format_decimal(value, locale=_locale(language))


@cache
def _locale(language: str) -> Locale:
    return Locale.parse("th_TH" if language == "th" else "en_US")


def label(labels: dict[str, str] | None, language: str, fallback: str = "") -> str:
    """A profile label in this language, else the other one, else the fallback (the field's name)."""
    if not labels:
        return fallback
    other = "en" if language == "th" else "th"
    return labels.get(language) or labels.get(other) or fallback
