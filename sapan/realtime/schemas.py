"""What a feed accepts: observations pushed by publishers and a feed's settings on its resource."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sapan.errors import SapanError, ValidationError

# The resource fields a real-time resource takes (input) and prints (output, read-only).
SETTING_KEYS = frozenset(
    {"realtime_kind", "realtime_source_url", "realtime_poll_seconds", "realtime_mapping"}
)
STATUS_KEYS = frozenset(
    {
        "realtime_last_observation",
        "realtime_last_poll",
        "realtime_next_poll",
        "realtime_stale",
        "realtime_error",
    }
)
REALTIME_KEYS = SETTING_KEYS | STATUS_KEYS
MAX_PUSH_ROWS = 50_000


class MalformedData(SapanError):
    """An upstream answer or a notification that does not have the shape its mapping expects."""


@dataclass(slots=True, frozen=True)
class Reading:
    """One observation before it is stored: a value of a variable of an entity (a station, a region, a
    car park) at a time, in UTC."""

    entity: str
    variable: str
    value: float | str | None
    observed_at: datetime  # naive UTC
    unit: str = ""
    lat: float | None = None
    lon: float | None = None


def utc_naive(value: datetime) -> datetime:
    """Naive UTC, the way the database stores times; a time without a zone is taken to be UTC."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def iso_z(value: datetime) -> str:
    return value.isoformat() + "Z"


FIELDS = frozenset({"entity", "variable", "value", "observed_at", "unit", "lat", "lon"})


def _text(
    row: dict[str, Any], key: str, longest: int, required: bool, errors: dict[str, list[str]], i: int
) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() and required:
        errors[f"records.{i}.{key}"] = ["Missing value" if value in (None, "") else "Must be text"]
        return ""
    if len(value) > longest:
        errors[f"records.{i}.{key}"] = [f"Must be at most {longest} characters"]
    return value.strip()


def _number(
    row: dict[str, Any], key: str, bound: float, errors: dict[str, list[str]], i: int
) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -bound <= value <= bound:
        errors[f"records.{i}.{key}"] = [f"Must be a number from -{bound:g} to {bound:g}"]
        return None
    return float(value)


def parse_records(data: dict[str, Any]) -> list[Reading]:
    """The `records` of a push (also accepted as `observations`); raises ValidationError with one key per
    bad field (`records.<row>.<field>`). Checked by hand, not by a model: it runs at 10,000s of rows/s."""
    records = data.get("records", data.get("observations"))
    if not isinstance(records, list):
        raise ValidationError.one("records", "Missing value: a list of observations")
    if len(records) > MAX_PUSH_ROWS:
        raise ValidationError.one("records", f"At most {MAX_PUSH_ROWS} observations per request")
    errors: dict[str, list[str]] = {}
    out = []
    for i, row in enumerate(records):
        if len(errors) > 100:
            break
        if not isinstance(row, dict):
            errors[f"records.{i}"] = ["Must be an object"]
            continue
        if not row.keys() <= FIELDS:
            errors[f"records.{i}"] = [f"Unknown fields: {', '.join(sorted(set(row) - FIELDS))}"]
        entity = _text(row, "entity", 200, True, errors, i)
        variable = _text(row, "variable", 200, True, errors, i)
        unit = _text(row, "unit", 50, False, errors, i)
        value = row.get("value")
        if isinstance(value, bool) or not (value is None or isinstance(value, (int, float, str))):
            errors[f"records.{i}.value"] = ["Must be a number, text or null"]
        elif isinstance(value, int):
            value = float(value)
        when = row.get("observed_at")
        at = None
        with contextlib.suppress(ValueError):
            at = utc_naive(datetime.fromisoformat(when)) if isinstance(when, str) else None
        if at is None:
            errors[f"records.{i}.observed_at"] = ["Must be an ISO 8601 time, e.g. 2024-05-01T08:00:00+07:00"]
        lat, lon = _number(row, "lat", 90, errors, i), _number(row, "lon", 180, errors, i)
        if at is not None:
            out.append(Reading(entity, variable, value, at, unit, lat, lon))
    if errors:
        raise ValidationError(errors)
    return out


@dataclass(frozen=True)
class FeedSettings:
    kind: str
    source_url: str
    poll_seconds: int
    mapping: dict[str, Any]


def parse_settings(data: dict[str, Any], min_poll_seconds: int) -> FeedSettings:
    """A feed's settings from its resource dict; raises ValidationError naming each bad field."""
    from sapan.realtime.mappings import check_mapping

    errors: dict[str, list[str]] = {}
    source_url = str(data.get("realtime_source_url") or "").strip()
    kind = str(data.get("realtime_kind") or ("polled" if source_url else "pushed"))
    if kind not in ("polled", "pushed"):
        errors["realtime_kind"] = ["Must be polled or pushed"]
    poll_seconds = 60
    raw_seconds = data.get("realtime_poll_seconds")
    if raw_seconds not in (None, ""):
        try:
            poll_seconds = int(str(raw_seconds))
        except ValueError:
            errors["realtime_poll_seconds"] = ["Must be a whole number of seconds"]
        else:
            if poll_seconds < min_poll_seconds:
                errors["realtime_poll_seconds"] = [f"Must be at least {min_poll_seconds} seconds"]
    mapping: dict[str, Any] = {}
    raw_mapping = data.get("realtime_mapping")
    if isinstance(raw_mapping, str) and raw_mapping.strip().startswith("{"):
        try:
            raw_mapping = json.loads(raw_mapping)
        except ValueError as exc:
            errors["realtime_mapping"] = [f"Not valid JSON: {exc}"]
    if isinstance(raw_mapping, str) and raw_mapping.strip():
        mapping = {"name": raw_mapping.strip()}
    elif isinstance(raw_mapping, dict):
        mapping = raw_mapping
    if kind == "polled":
        scheme = urlsplit(source_url).scheme
        if scheme not in ("http", "https"):
            errors["realtime_source_url"] = ["Missing value: a polled feed needs an http(s) URL"]
        if not mapping and "realtime_mapping" not in errors:
            errors["realtime_mapping"] = ["Missing value: a built-in mapping name or a mapping object"]
    if mapping and "realtime_mapping" not in errors:
        problem = check_mapping(mapping)
        if problem:
            errors["realtime_mapping"] = [problem]
    if errors:
        raise ValidationError(errors)
    return FeedSettings(kind, source_url, poll_seconds, mapping)
