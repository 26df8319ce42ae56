"""NGSI-LD notifications (a context broker's subscription POSTs them) as readings: each Property of each
notified entity is one observation at its observedAt (else the notification's notifiedAt); the
entity's `location` GeoProperty, when a Point, is the observation's location."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sapan.errors import ValidationError
from sapan.realtime.mappings import parse_time
from sapan.realtime.schemas import MAX_PUSH_ROWS, MalformedData, Reading

SKIP = {"id", "type", "@context", "location", "observationSpace", "operationSpace", "createdAt", "modifiedAt"}


def _point(entity: dict[str, Any]) -> tuple[float | None, float | None]:
    loc = entity.get("location")
    geometry = loc.get("value", loc) if isinstance(loc, dict) else None
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if (
            isinstance(coords, list)
            and len(coords) >= 2
            and all(isinstance(c, (int, float)) for c in coords[:2])
        ):
            return float(coords[1]), float(coords[0])  # GeoJSON is [longitude, latitude]
    return None, None


def _value(raw: Any) -> float | str | None:
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, (int, float)):
        return float(raw)
    if raw is None or isinstance(raw, str):
        return raw
    raise MalformedData(f"value {str(raw)[:60]!r} is neither a number nor text")


def readings(notification: dict[str, Any]) -> list[Reading]:
    """The readings in a notification (normalized or keyValues); raises ValidationError naming the place."""
    if notification.get("type") != "Notification" or not isinstance(notification.get("data"), list):
        raise ValidationError.one(
            "data", "An NGSI-LD Notification with a `data` list of entities is expected"
        )
    notified = notification.get("notifiedAt")
    out: list[Reading] = []
    for i, entity in enumerate(notification["data"]):
        where = f"data.{i}"
        if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
            raise ValidationError.one(where, "An entity with an `id` is expected")
        lat, lon = _point(entity)
        for name, attribute in entity.items():
            if name in SKIP:
                continue
            instances = attribute if isinstance(attribute, list) else [attribute]
            for instance in instances:
                try:
                    reading = _reading(entity["id"], name, instance, notified, lat, lon)
                except MalformedData as exc:
                    raise ValidationError.one(f"{where}.{name}", str(exc)) from exc
                if reading is not None:
                    out.append(reading)
        if len(out) > MAX_PUSH_ROWS:
            raise ValidationError.one("data", f"At most {MAX_PUSH_ROWS} observations per notification")
    return out


def _reading(
    entity: str, name: str, instance: Any, notified: Any, lat: float | None, lon: float | None
) -> Reading | None:
    if isinstance(instance, dict):
        kind = instance.get("type", "Property")
        if kind not in ("Property", "https://uri.etsi.org/ngsi-ld/Property"):
            return None  # Relationships and GeoProperties are not observations
        value, when, unit = (
            instance.get("value"),
            instance.get("observedAt") or notified,
            instance.get("unitCode"),
        )
    else:  # keyValues: the attribute is its value
        value, when, unit = instance, notified, None
    if when is None:
        raise MalformedData("no observedAt and no notifiedAt")
    at: datetime = parse_time(when, "observedAt")
    return Reading(entity[:200], name[:200], _value(value), at, str(unit or "")[:50], lat, lon)
