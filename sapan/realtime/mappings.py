"""From an upstream's JSON to readings: built-in mappings for the shapes of data.gov.sg's real-time
APIs, and a generic JSONPath-style mapping for others. Anything off-shape raises MalformedData with
the place in the document, so a stale feed says what was wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sapan.realtime.schemas import MalformedData, Reading, utc_naive

Mapping = Callable[[Any, dict[str, Any]], list[Reading]]
SINGAPORE = timezone(timedelta(hours=8))


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedData(f"{where}: expected an object, found {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedData(f"{where}: expected a list, found {type(value).__name__}")
    return value


def _get(obj: Any, key: str, where: str) -> Any:
    found = _obj(obj, where)
    if key not in found:
        raise MalformedData(f"{where}: no {key!r}")
    return found[key]


def parse_time(value: Any, where: str, zone: timezone | ZoneInfo = UTC) -> datetime:
    """ISO 8601 text or epoch seconds (milliseconds when that large) -> naive UTC; a time written
    without a zone is in `zone`."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = value / 1000 if value > 1e11 else value
            return utc_naive(datetime.fromtimestamp(seconds, UTC))
        parsed = datetime.fromisoformat(str(value).strip())
    except (ValueError, OverflowError, OSError) as exc:
        raise MalformedData(f"{where}: not a time: {str(value)[:40]!r}") from exc
    return utc_naive(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone))


def _value(value: Any, where: str) -> float | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise MalformedData(f"{where}: expected a number or text, found {type(value).__name__}")


def _location(loc: Any) -> tuple[float | None, float | None]:
    if isinstance(loc, dict) and isinstance(loc.get("latitude"), (int, float)):
        lat, lon = float(loc["latitude"]), float(loc.get("longitude") or 0)
        return (None, None) if lat == 0 and lon == 0 else (lat, lon)  # data.gov.sg's "national" is 0,0
    return None, None


def datagovsg_stations(doc: Any, options: dict[str, Any]) -> list[Reading]:
    """Station readings (air temperature, rainfall, humidity, wind): metadata.stations + items[].readings."""
    meta = _obj(_get(doc, "metadata", "$"), "$.metadata")
    stations = {s.get("id"): s for s in _list(meta.get("stations", []), "$.metadata.stations")}
    variable = str(options.get("variable") or meta.get("reading_type") or "reading")
    unit = str(options.get("unit") or meta.get("reading_unit") or "")
    out = []
    for i, item in enumerate(_list(_get(doc, "items", "$"), "$.items")):
        at = parse_time(_get(item, "timestamp", f"$.items[{i}]"), f"$.items[{i}].timestamp")
        for j, reading in enumerate(_list(_get(item, "readings", f"$.items[{i}]"), f"$.items[{i}].readings")):
            where = f"$.items[{i}].readings[{j}]"
            station = str(_get(reading, "station_id", where))
            lat, lon = _location((stations.get(station) or {}).get("location"))
            value = _value(_get(reading, "value", where), where + ".value")
            out.append(Reading(station, variable, value, at, unit, lat, lon))
    return out


def datagovsg_regions(doc: Any, options: dict[str, Any]) -> list[Reading]:
    """Region readings (PSI, PM2.5): region_metadata + items[].readings.{variable}.{region}."""
    regions = {r.get("name"): r for r in _list(_get(doc, "region_metadata", "$"), "$.region_metadata")}
    unit = str(options.get("unit") or "")
    out = []
    for i, item in enumerate(_list(_get(doc, "items", "$"), "$.items")):
        at = parse_time(_get(item, "timestamp", f"$.items[{i}]"), f"$.items[{i}].timestamp")
        readings = _obj(_get(item, "readings", f"$.items[{i}]"), f"$.items[{i}].readings")
        for variable, by_region in readings.items():
            where = f"$.items[{i}].readings.{variable}"
            for region, value in _obj(by_region, where).items():
                lat, lon = _location((regions.get(region) or {}).get("label_location"))
                out.append(Reading(region, variable, _value(value, f"{where}.{region}"), at, unit, lat, lon))
    return out


def datagovsg_carparks(doc: Any, options: dict[str, Any]) -> list[Reading]:
    """Car-park availability: each car park's lots available and total, per lot type. Its
    update_datetime has no zone: it is Singapore time."""
    out = []
    for i, item in enumerate(_list(_get(doc, "items", "$"), "$.items")):
        for j, park in enumerate(
            _list(_get(item, "carpark_data", f"$.items[{i}]"), f"$.items[{i}].carpark_data")
        ):
            where = f"$.items[{i}].carpark_data[{j}]"
            number = str(_get(park, "carpark_number", where))
            at = parse_time(_get(park, "update_datetime", where), where + ".update_datetime", SINGAPORE)
            for k, info in enumerate(_list(_get(park, "carpark_info", where), where + ".carpark_info")):
                here = f"{where}.carpark_info[{k}]"
                lot_type = str(_get(info, "lot_type", here))
                for field in ("lots_available", "total_lots"):
                    value = _get(info, field, here)
                    try:
                        number_value = float(value)
                    except (TypeError, ValueError) as exc:
                        raise MalformedData(f"{here}.{field}: not a number: {value!r}") from exc
                    out.append(Reading(number, f"{field}_{lot_type}", number_value, at, "lots"))
    return out


def datagovsg_taxis(doc: Any, options: dict[str, Any]) -> list[Reading]:
    """Taxi availability (GeoJSON): the number of available taxis, island-wide, per answer."""
    out = []
    for i, feature in enumerate(_list(_get(doc, "features", "$"), "$.features")):
        props = _get(feature, "properties", f"$.features[{i}]")
        at = parse_time(_get(props, "timestamp", f"$.features[{i}].properties"), "timestamp")
        count = _value(_get(props, "taxi_count", f"$.features[{i}].properties"), "taxi_count")
        out.append(Reading(str(options.get("entity") or "singapore"), "taxi_count", count, at, "taxis"))
    return out


BUILT_IN: dict[str, Mapping] = {
    "datagovsg_stations": datagovsg_stations,
    "datagovsg_regions": datagovsg_regions,
    "datagovsg_carparks": datagovsg_carparks,
    "datagovsg_taxis": datagovsg_taxis,
}

# -- the generic mapping ------------------------------------------------------------------------
# {"records": "$.items[*].readings[*]", "entity": "@.station_id", "variable": "air_temperature",
#  "value": "@.value", "observed_at": "^.timestamp", "unit": "$.metadata.reading_unit"}
# A string starting with "$" is a path from the document's root, "@" from the record, "^" from the
# element the previous [*] selected ("^^" two up); any other string is a constant. "values":
# {"variable": "@.path", ...} maps several variables of one record.

STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*|\"[^\"]*\"|'[^']*')\]")
FIELDS = ("entity", "variable", "value", "observed_at", "unit", "lat", "lon")


def _steps(path: str) -> list[str | int]:
    rest = path.lstrip("$@^")
    steps: list[str | int] = []
    pos = 0
    while pos < len(rest):
        m = STEP.match(rest, pos)
        if m is None:
            raise MalformedData(f"path {path!r}: cannot read it from {rest[pos:]!r}")
        name, bracket = m.groups()
        if name is not None:
            steps.append(name)
        elif bracket == "*":
            steps.append("*")
        elif bracket.isdigit():
            steps.append(int(bracket))
        else:
            steps.append(bracket[1:-1])
        pos = m.end()
    return steps


def _walk(node: Any, steps: list[str | int], path: str) -> Any:
    for step in steps:
        if isinstance(step, int):
            items = _list(node, path)
            node = items[step] if step < len(items) else None
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return None
        if node is None:
            return None
    return node


def _records(doc: Any, path: str) -> list[list[Any]]:
    """Each record with the elements the [*] steps selected on the way: [outer, ..., record]."""
    chains: list[tuple[list[Any], Any]] = [([], doc)]  # (elements the [*] steps chose, where we are)
    steps = _steps(path)
    for step in steps:
        if step == "*":
            chains = [
                ([*chose, item], item) for chose, at in chains for item in _list(at, f"records {path!r}")
            ]
        else:
            chains = [(chose, _walk(at, [step], path)) for chose, at in chains]
            if any(at is None for _, at in chains):
                raise MalformedData(f"records {path!r}: no {step!r} in the document")
    ends_on_star = bool(steps) and steps[-1] == "*"
    return [chose if ends_on_star else [*chose, at] for chose, at in chains]


def _field(spec: Any, doc: Any, chain: list[Any]) -> Any:
    if not isinstance(spec, str) or spec[:1] not in ("$", "@", "^"):
        return spec
    up = len(spec) - len(spec.lstrip("^"))
    base = doc if spec.startswith("$") else chain[-1 - up] if up < len(chain) else None
    return _walk(base, _steps(spec), spec)


def generic(doc: Any, spec: dict[str, Any]) -> list[Reading]:
    zone = _zone(spec.get("timezone"))
    values = spec.get("values") or {spec.get("variable", "value"): spec.get("value")}
    out = []
    for i, chain in enumerate(_records(doc, str(spec["records"]))):
        where = f"record {i}"
        entity = _field(spec.get("entity"), doc, chain)
        when = _field(spec.get("observed_at"), doc, chain)
        if entity is None or when is None:
            raise MalformedData(f"{where}: no {'entity' if entity is None else 'observed_at'}")
        at = parse_time(when, f"{where}.observed_at", zone)
        unit = _field(spec.get("unit", ""), doc, chain)
        lat, lon = _field(spec.get("lat"), doc, chain), _field(spec.get("lon"), doc, chain)
        for variable, path in values.items():
            name = _field(variable, doc, chain)
            value = _value(_field(path, doc, chain), f"{where}.{name}")
            out.append(
                Reading(
                    str(entity), str(name), value, at, str(unit or ""),
                    float(lat) if isinstance(lat, (int, float)) else None,
                    float(lon) if isinstance(lon, (int, float)) else None,
                )
            )  # fmt: skip
    return out


def _zone(name: Any) -> timezone | ZoneInfo:
    if not name:
        return UTC
    text = str(name)
    if re.fullmatch(r"[+-]\d\d:\d\d", text):
        sign = -1 if text[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))
    return ZoneInfo(text)


def check_mapping(mapping: dict[str, Any]) -> str | None:
    """Why this mapping cannot work, or None."""
    if "name" in mapping:
        known = ", ".join(sorted(BUILT_IN))
        return None if mapping["name"] in BUILT_IN else f"Unknown mapping {mapping['name']!r}; known: {known}"
    if not isinstance(mapping.get("records"), str):
        return "A generic mapping needs `records`: a path like $.items[*]"
    unknown = set(mapping) - {*FIELDS, "records", "values", "timezone"}
    if unknown:
        return f"Unknown keys in the mapping: {', '.join(sorted(unknown))}"
    if "entity" not in mapping or "observed_at" not in mapping:
        return "A generic mapping needs `entity` and `observed_at`"
    if "value" not in mapping and not isinstance(mapping.get("values"), dict):
        return "A generic mapping needs `value` (or `values`: {variable: path})"
    try:
        _zone(mapping.get("timezone"))
        for spec in [mapping["records"], *mapping.values(), *(mapping.get("values") or {}).values()]:
            if isinstance(spec, str) and spec[:1] in ("$", "@", "^"):
                _steps(spec)
    except (MalformedData, ZoneInfoNotFoundError, ValueError) as exc:
        return str(exc)
    return None


def apply_mapping(mapping: dict[str, Any], doc: Any) -> list[Reading]:
    """The readings in an upstream document; raises MalformedData."""
    if "name" in mapping:
        return BUILT_IN[mapping["name"]](doc, mapping)
    return generic(doc, mapping)
