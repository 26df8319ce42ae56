"""A saved chart's Vega-Lite spec, checked against an allow-list before it is stored: a saved spec is
drawn on every visitor's page, so it must never become a way to load other data, run an expression or
reach another site. It holds no data values: its `data` is a reference to this resource's DataStore
table, which the page fetches through datastore_search with the visitor's own access checks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from sapan.errors import ValidationError

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
DATA_PATH = "/api/3/action/datastore_search"
ROWS = 5000  # what the chart builder fetches
MAX_BYTES = 8192
MARKS = ("bar", "line", "point", "area")  # tuples: a value may be unhashable (a list)
TYPES = ("quantitative", "ordinal", "nominal", "temporal")
AGGREGATES = ("sum", "mean", "count", "min", "max", "median")
CHANNELS = frozenset({"x", "y", "color", "tooltip"})
TOP_KEYS = frozenset({"$schema", "data", "mark", "encoding", "width", "height", "config"})
FONT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,-")


def data_reference(table_id: str) -> dict[str, Any]:
    """The only `data` a saved spec may have: this table's rows from the DataStore API."""
    url = f"{DATA_PATH}?resource_id={quote(table_id, safe='')}&limit={ROWS}"
    return {"url": url, "format": {"type": "json", "property": "result.records"}}


def table_of(data: Any, field: str = "spec.data") -> str:
    """The DataStore table a data reference names; ValidationError unless it is exactly one."""
    if not isinstance(data, dict) or set(data) - {"url", "format"} or not isinstance(data.get("url"), str):
        raise ValidationError.one(field, "Must be a reference to this resource's DataStore table")
    url = urlsplit(data["url"])
    query = dict(parse_qsl(url.query))
    if url.scheme or url.netloc or url.path != DATA_PATH or set(query) - {"resource_id", "limit"}:
        raise ValidationError.one(field, "Must be a reference to this resource's DataStore table")
    if data.get("format", data_reference("")["format"]) != data_reference("")["format"]:
        raise ValidationError.one(field + ".format", "Must be the DataStore's JSON records")
    return query.get("resource_id", "")


def parse(value: Any, field: str = "spec") -> dict[str, Any]:
    """A spec given as an object or as JSON text, size-bounded."""
    if isinstance(value, str):
        if len(value.encode()) > MAX_BYTES:
            raise ValidationError.one(field, f"Must be at most {MAX_BYTES} bytes")
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationError.one(field, "Must be a JSON object") from exc
    if not isinstance(value, dict):
        raise ValidationError.one(field, "Must be a JSON object")
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_BYTES:
        raise ValidationError.one(field, f"Must be at most {MAX_BYTES} bytes")
    return value


def checked_spec(value: Any, tables: dict[str, list[str]], field: str = "spec") -> dict[str, Any]:
    """The spec as it will be stored, rebuilt from what passed the checks (so nothing unchecked is
    kept). `tables`: this resource's DataStore tables -> their column names. Raises ValidationError
    naming the offending key (`spec.encoding.x.field`)."""
    spec = parse(value, field)
    unknown = sorted(set(spec) - TOP_KEYS)
    if unknown:
        raise ValidationError.one(f"{field}.{unknown[0]}", "Not allowed in a saved chart")
    if spec.get("$schema", SCHEMA) != SCHEMA:
        raise ValidationError.one(f"{field}.$schema", f"Must be {SCHEMA}")
    if "data" not in spec:
        raise ValidationError.one(f"{field}.data", "Missing value")
    table = table_of(spec["data"], f"{field}.data")
    if table not in tables:
        raise ValidationError.one(f"{field}.data", "Must be a reference to this resource's DataStore table")
    columns = set(tables[table])
    out: dict[str, Any] = {"$schema": SCHEMA, "data": data_reference(table)}
    out["mark"] = _mark(spec.get("mark"), f"{field}.mark")
    out["encoding"] = _encoding(spec.get("encoding"), columns, f"{field}.encoding")
    width = spec.get("width", "container")
    if width != "container" and not _size(width):
        raise ValidationError.one(f"{field}.width", 'Must be "container" or a whole number from 1 to 2000')
    height = spec.get("height", 320)
    if not _size(height):
        raise ValidationError.one(f"{field}.height", "Must be a whole number from 1 to 2000")
    out["width"], out["height"] = width, height
    out["config"] = _config(spec.get("config", {}), f"{field}.config")
    return out


def _size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2000


def _mark(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, dict) or set(value) - {"type", "tooltip"}:
        raise ValidationError.one(field, "Must be a mark type or {type, tooltip}")
    if value.get("type") not in MARKS:
        raise ValidationError.one(
            f"{field}.type" if "type" in value else field, "Must be bar, line, point or area"
        )
    return {"type": value["type"], "tooltip": False}  # the page draws no tooltips (CSP: no injected styles)


def _encoding(value: Any, columns: set[str], field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ValidationError.one(field, "Must be an object of channels")
    unknown = sorted(set(value) - CHANNELS)
    if unknown:
        raise ValidationError.one(f"{field}.{unknown[0]}", "Must be x, y, color or tooltip")
    out: dict[str, Any] = {}
    for channel, definition in value.items():
        where = f"{field}.{channel}"
        if channel == "tooltip" and isinstance(definition, list):
            if len(definition) > 10:
                raise ValidationError.one(where, "At most 10 fields")
            out[channel] = [_channel(d, columns, f"{where}.{i}") for i, d in enumerate(definition)]
        else:
            out[channel] = _channel(definition, columns, where)
    return out


def _channel(value: Any, columns: set[str], field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {"field", "type", "aggregate"}:
        raise ValidationError.one(field, "Must be {field, type, aggregate}")
    out: dict[str, Any] = {}
    if "field" in value:
        if not isinstance(value["field"], str) or value["field"] not in columns:
            raise ValidationError.one(f"{field}.field", "Must be a column of the table")
        out["field"] = value["field"]
    if "type" in value:
        if value["type"] not in TYPES:
            raise ValidationError.one(f"{field}.type", "Must be quantitative, ordinal, nominal or temporal")
        out["type"] = value["type"]
    if "aggregate" in value:
        if value["aggregate"] not in AGGREGATES:
            raise ValidationError.one(f"{field}.aggregate", "Must be sum, mean, count, min, max or median")
        out["aggregate"] = value["aggregate"]
    if "field" not in out and out.get("aggregate") != "count":
        raise ValidationError.one(f"{field}.field", "Missing value")
    return out


def _config(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {"font"}:
        raise ValidationError.one(field, "Only a font may be set")
    font = value.get("font")
    if font is None:
        return {}
    if not isinstance(font, str) or len(font) > 100 or set(font) - FONT_CHARS:
        raise ValidationError.one(f"{field}.font", "Must be font names (letters, digits, spaces, commas)")
    return {"font": font}
