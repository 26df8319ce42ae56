"""Reading a feed: latest values (now or as of a time), history with NGSI-LD's temporal parameters
(timerel, timeAt, endTimeAt, lastN, aggrMethods, aggrPeriodDuration), and a datastore_search view."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sapan.api.params import int_param
from sapan.datastore import engine
from sapan.errors import ValidationError, json_object
from sapan.realtime.history import COLUMNS, observation_dict, recent_rows, source
from sapan.realtime.mappings import parse_time
from sapan.realtime.models import Feed, LatestValue, Observation
from sapan.realtime.schemas import MalformedData, iso_z
from sapan.storage.service import Storage

AGGREGATES = {
    "totalCount": "count(*)", "distinctCount": "count(DISTINCT coalesce(CAST(value AS VARCHAR), text))",
    "sum": "sum(value)", "avg": "avg(value)", "min": "min(value)", "max": "max(value)",
    "stddev": "stddev_samp(value)", "sumsq": "sum(value * value)",
}  # fmt: skip
DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
MAX_ROWS = 32000


def _time(data: dict[str, Any], name: str) -> datetime | None:
    raw = data.get(name)
    if raw in (None, ""):
        return None
    try:
        return parse_time(raw, name)
    except MalformedData as exc:
        raise ValidationError.one(
            name, "Must be an ISO 8601 date and time, e.g. 2024-05-01T08:00:00Z"
        ) from exc


def _names(data: dict[str, Any], *keys: str) -> list[str]:
    for key in keys:
        raw = data.get(key)
        if isinstance(raw, list):
            return [str(v) for v in raw]
        if raw:
            return [v.strip() for v in str(raw).split(",") if v.strip()]
    return []


@dataclass
class TemporalQuery:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    entities: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    last_n: int | None = None
    methods: list[str] = field(default_factory=list)
    period_seconds: int | None = None
    limit: int = 1000


def parse_temporal(data: dict[str, Any]) -> TemporalQuery:
    """NGSI-LD's temporal parameters, plus `date` (one UTC day) and `from`/`to` as shorthands."""
    q = TemporalQuery(entities=_names(data, "entity", "id"), variables=_names(data, "variable", "attrs"))
    timerel = data.get("timerel")
    at, end_at = _time(data, "timeAt"), _time(data, "endTimeAt")
    if timerel not in (None, "", "before", "after", "between"):
        raise ValidationError.one("timerel", "Must be before, after or between")
    if timerel and at is None:
        raise ValidationError.one("timeAt", "Missing value: timerel needs timeAt")
    if timerel == "before":
        q.end = at
    elif timerel == "after":
        q.start = at
    elif timerel == "between":
        if end_at is None:
            raise ValidationError.one("endTimeAt", "Missing value: timerel=between needs endTimeAt")
        q.start, q.end = at, end_at
    if data.get("date"):
        try:
            day = date.fromisoformat(str(data["date"]))
        except ValueError as exc:
            raise ValidationError.one("date", "Must be a date: YYYY-MM-DD") from exc
        q.start, q.end = (
            datetime.combine(day, datetime.min.time()),
            datetime.combine(day, datetime.min.time()),
        )
        q.end += timedelta(days=1)
    q.start = _time(data, "from") or q.start
    q.end = _time(data, "to") or q.end
    if q.start and q.end and q.start >= q.end:
        raise ValidationError.one("endTimeAt", "Must be after the start of the period")
    q.last_n = int_param(data, "lastN", None, 1, MAX_ROWS)
    q.limit = int_param(data, "limit", 1000, 1, MAX_ROWS) or 1000
    q.methods = _names(data, "aggrMethods")
    unknown = [m for m in q.methods if m not in AGGREGATES]
    if unknown:
        raise ValidationError.one(
            "aggrMethods", f"Unknown: {', '.join(unknown)}; known: {', '.join(AGGREGATES)}"
        )
    duration = str(data.get("aggrPeriodDuration") or "")
    if duration:
        match = DURATION.match(duration)
        if not match or duration in ("P", "PT"):
            raise ValidationError.one("aggrPeriodDuration", "Must be an ISO 8601 duration like PT1H or P1D")
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        q.period_seconds = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
        if q.period_seconds <= 0:
            raise ValidationError.one("aggrPeriodDuration", "Must be longer than zero")
    if q.period_seconds and not q.methods:
        q.methods = ["avg"]
    return q


def _where(q: TemporalQuery, as_of: datetime | None = None) -> str:
    clauses = ["TRUE"]
    if q.start:
        clauses.append(f"observed_at >= TIMESTAMP {engine.literal(q.start.isoformat())}")
    end = as_of or q.end
    if end:
        op = "<=" if as_of else "<"
        clauses.append(f"observed_at {op} TIMESTAMP {engine.literal(end.isoformat())}")
    if q.entities:
        clauses.append(f"entity IN ({', '.join(engine.literal(e) for e in q.entities)})")
    if q.variables:
        clauses.append(f"variable IN ({', '.join(engine.literal(v) for v in q.variables)})")
    return " AND ".join(clauses)


def _recent(session: Session, feed: Feed, q: TemporalQuery, end: datetime | None) -> Any:
    where = []
    if q.start:
        where.append(Observation.observed_at >= q.start)
    if end:
        where.append(Observation.observed_at <= end)
    if q.entities:
        where.append(Observation.entity.in_(q.entities))
    if q.variables:
        where.append(Observation.variable.in_(q.variables))
    return recent_rows(session, feed.resource_id, *where)


def latest(session: Session, storage: Storage, feed: Feed, data: dict[str, Any]) -> dict[str, Any]:
    """The newest value of each (entity, variable), or the newest at or before `date_time`."""
    q = TemporalQuery(entities=_names(data, "entity", "id"), variables=_names(data, "variable", "attrs"))
    as_of = _time(data, "date_time")
    if as_of is None:
        query = select(*(getattr(LatestValue, c) for c in COLUMNS)).where(
            LatestValue.resource_id == feed.resource_id
        )
        if q.entities:
            query = query.where(LatestValue.entity.in_(q.entities))
        if q.variables:
            query = query.where(LatestValue.variable.in_(q.variables))
        rows: Any = session.execute(query.order_by(LatestValue.entity, LatestValue.variable)).all()
    else:
        recent = _recent(session, feed, q, as_of)
        with source(storage, feed, recent, last_day=as_of.date()) as (cur, rel):
            rows = cur.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {rel} WHERE {_where(q, as_of)} "
                "QUALIFY row_number() OVER (PARTITION BY entity, variable ORDER BY observed_at DESC) = 1 "
                "ORDER BY entity, variable"
            ).fetchall()
    return {
        "resource_id": feed.resource_id,
        "date_time": iso_z(as_of) if as_of else None,
        "records": [observation_dict(r) for r in rows],
    }


def temporal(session: Session, storage: Storage, feed: Feed, data: dict[str, Any]) -> dict[str, Any]:
    """History in a period: the observations (oldest first; lastN per entity and variable), or their
    aggregates per aggrPeriodDuration."""
    q = parse_temporal(data)
    recent = _recent(session, feed, q, q.end)
    first = q.start.date() if q.start else None
    last = q.end.date() if q.end else None
    with source(storage, feed, recent, first, last) as (cur, rel):
        base = f"SELECT {', '.join(COLUMNS)} FROM {rel} WHERE {_where(q)}"
        if q.last_n:
            base += (
                " QUALIFY row_number() OVER (PARTITION BY entity, variable ORDER BY observed_at DESC)"
                f" <= {q.last_n}"
            )
        if not q.methods:
            rows = cur.execute(f"SELECT * FROM ({base}) ORDER BY observed_at, seq LIMIT {q.limit}").fetchall()
            records = [observation_dict(r) for r in rows]
            return {"resource_id": feed.resource_id, "records": records, "truncated": len(rows) == q.limit}
        period = q.period_seconds
        bucket = (
            f"time_bucket(INTERVAL {period} SECOND, observed_at, TIMESTAMP '1970-01-01')"
            if period
            else "min(observed_at) OVER (PARTITION BY entity, variable)"
        )
        aggregates = ", ".join(f"{AGGREGATES[m]} AS {engine.quote(m)}" for m in q.methods)
        rows = cur.execute(
            f"SELECT entity, variable, period, {aggregates} FROM "
            f"(SELECT *, {bucket} AS period FROM ({base})) GROUP BY entity, variable, period "
            f"ORDER BY entity, variable, period LIMIT {q.limit}"
        ).fetchall()
    out = []
    for entity, variable, start, *values in rows:
        item: dict[str, Any] = {"entity": entity, "variable": variable, "period_start": iso_z(start)}
        if period:
            item["period_end"] = iso_z(start + timedelta(seconds=period))
        item.update({m: v for m, v in zip(q.methods, values, strict=True)})
        out.append(item)
    return {
        "resource_id": feed.resource_id,
        "aggrMethods": q.methods,
        "aggrPeriodDuration": data.get("aggrPeriodDuration"),
        "aggregates": out,
        "truncated": len(rows) == q.limit,
    }


FIELDS = [
    {"id": "_id", "type": "int"}, {"id": "entity", "type": "text"}, {"id": "variable", "type": "text"},
    {"id": "value", "type": "text"}, {"id": "unit", "type": "text"},
    {"id": "observed_at", "type": "timestamp"}, {"id": "lat", "type": "float"},
    {"id": "lon", "type": "float"},
]  # fmt: skip


def datastore_view(session: Session, storage: Storage, feed: Feed, data: dict[str, Any]) -> dict[str, Any]:
    """datastore_search over a feed: its recent observations (not yet compacted), newest first;
    filters on entity and variable, limit and offset."""
    filters = json_object(data.get("filters") or {}, "filters")
    unknown = set(filters) - {"entity", "variable"}
    if unknown:
        raise ValidationError.one(
            "filters", f"A real-time feed filters on entity and variable, not {sorted(unknown)}"
        )
    limit = int_param(data, "limit", 100, 0, MAX_ROWS) or 0
    offset = int_param(data, "offset", 0, 0) or 0
    query = select(*(getattr(Observation, c) for c in COLUMNS)).where(
        Observation.resource_id == feed.resource_id
    )
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        query = query.where(getattr(Observation, key).in_([str(v) for v in values]))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Observation.seq.desc()).limit(limit).offset(offset)).all()
    records = []
    for r in rows:
        records.append(
            {"_id": r[0], "entity": r[1], "variable": r[2], "value": r[3] if r[4] is None else r[4],
             "unit": r[5], "observed_at": r[6].isoformat(), "lat": r[7], "lon": r[8]}
        )  # fmt: skip
    return {
        "resource_id": feed.resource_id, "fields": FIELDS, "records": records, "limit": limit,
        "offset": offset, "total": total,
        "_links": {"start": f"/api/3/action/datastore_search?resource_id={feed.resource_id}"},
    }  # fmt: skip
