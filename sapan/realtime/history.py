"""A feed's history: recent observations in the database, older ones compacted into one Parquet file per
day (`realtime/{resource_id}/day=YYYY-MM-DD/*.parquet`), both read together with DuckDB."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sapan.datastore import engine
from sapan.db import new_id, transaction, utcnow
from sapan.realtime.models import Feed, Observation
from sapan.realtime.schemas import iso_z
from sapan.storage.service import Storage

COLUMNS = ("seq", "entity", "variable", "value", "text", "unit", "observed_at", "lat", "lon")
SCHEMA = pa.schema(
    [
        ("seq", pa.int64()), ("entity", pa.string()), ("variable", pa.string()), ("value", pa.float64()),
        ("text", pa.string()), ("unit", pa.string()), ("observed_at", pa.timestamp("us")),
        ("lat", pa.float64()), ("lon", pa.float64()),
    ]
)  # fmt: skip


def observation_dict(row: Any) -> dict[str, Any]:
    """An observation as the API prints it: `value` is the number, or the text for a text value."""
    value, text = row[3], row[4]
    out: dict[str, Any] = {
        "id": row[0], "entity": row[1], "variable": row[2], "value": value if text is None else text,
        "unit": row[5], "observed_at": iso_z(row[6]),
    }  # fmt: skip
    if row[7] is not None:
        out["location"] = {"lat": row[7], "lon": row[8]}
    return out


def recent_rows(session: Session, resource_id: str, *where: Any) -> pa.Table:
    """The feed's observations not yet compacted (matching `where`), as an Arrow table."""
    query = select(*(getattr(Observation, c) for c in COLUMNS)).where(Observation.resource_id == resource_id)
    rows = session.execute(query.where(*where)).all()
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in COLUMNS]
    return pa.table([pa.array(list(c), type=f.type) for c, f in zip(columns, SCHEMA, strict=True)], SCHEMA)


@contextmanager
def source(
    storage: Storage,
    feed: Feed,
    recent: pa.Table,
    first_day: date | None = None,
    last_day: date | None = None,
    after_seq: int | None = None,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A DuckDB cursor and the SQL of a relation over recent rows and the days' Parquet files in range.
    Rows are read before the partitions, so a compaction in between shows a row twice, never not at all:
    the relation keeps one row per seq."""
    days = feed.partitions.get("days", {})
    keys = [
        info["key"] for day, info in sorted(days.items())
        if (first_day is None or day >= first_day.isoformat())
        and (last_day is None or day <= last_day.isoformat())
        and (after_seq is None or info["max_seq"] > after_seq)
    ]  # fmt: skip
    cur = engine.cursor(storage)
    name = f"recent_{new_id().replace('-', '')}"
    cur.register(name, recent)
    try:
        parts = [f"SELECT * FROM {name}"]
        if keys:  # read where they lie: a local path, or s3:// through the storage's filesystem
            files = ", ".join(engine.literal(storage.duckdb_path(k)) for k in keys)
            parts.append(f"SELECT {', '.join(COLUMNS)} FROM read_parquet([{files}])")
        union = " UNION ALL ".join(parts)
        yield cur, f"(SELECT * FROM ({union}) QUALIFY row_number() OVER (PARTITION BY seq) = 1)"
    finally:
        cur.unregister(name)
        cur.close()


def compacted_keys(
    storage: Storage, feed: Feed, keys: list[tuple[str, str, datetime]]
) -> list[tuple[str, str, datetime]]:
    """Which of these (entity, variable, observed_at) are already in the feed's Parquet history."""
    days = feed.partitions.get("days", {})
    wanted = [k for k in keys if k[2].date().isoformat() in days]
    if not wanted:
        return []
    probe = pa.table(
        {"entity": [k[0] for k in wanted], "variable": [k[1] for k in wanted],
         "observed_at": pa.array([k[2] for k in wanted], pa.timestamp("us"))}
    )  # fmt: skip
    first, last = min(k[2] for k in wanted).date(), max(k[2] for k in wanted).date()
    with source(storage, feed, SCHEMA.empty_table(), first, last) as (cur, rel):
        cur.register("probe", probe)
        found = cur.execute(
            f"SELECT h.entity, h.variable, h.observed_at FROM {rel} h "
            "JOIN probe p USING (entity, variable, observed_at)"
        ).fetchall()
    return [(e, v, t) for e, v, t in found]


# -- compaction ---------------------------------------------------------------------------------


def _claim(services: Any, resource_id: str, column: Any, stale_after: timedelta = timedelta(hours=1)) -> bool:
    """Mark a feed busy (a poll, a compaction) unless it already is; one claim wins. The claim of a run
    whose worker was killed expires after `stale_after`."""
    now = utcnow()
    with transaction(services.sessions) as session:
        taken = session.execute(
            update(Feed)
            .where(Feed.resource_id == resource_id)
            .where((column.is_(None)) | (column < now - stale_after))
            .values({column.key: now})
        )
        return getattr(taken, "rowcount", 0) == 1


def compact(services: Any, resource_id: str, retention_days: int) -> dict[str, Any]:
    """Move the recent observations into the day files (each day one file, rewritten) and drop days
    older than the retention. Files replaced are deleted one compaction later, so a query that read the
    old list of files can still finish."""
    if not _claim(services, resource_id, Feed.compacting_since):
        return {"skipped": "a compaction of this feed is running"}
    storage: Storage = services.catalog.storage
    try:
        with transaction(services.sessions) as session:
            feed = session.get(Feed, resource_id)
            if feed is None:
                return {"skipped": "feed deleted"}
            cutoff = feed.last_seq
            recent = recent_rows(session, resource_id, Observation.seq <= cutoff)
        days: dict[str, Any] = dict(feed.partitions.get("days", {}))
        keep_from = (utcnow() - timedelta(days=retention_days)).date().isoformat()
        written = _write_days(storage, feed, recent, keep_from, days)
        expired = [d for d in days if d < keep_from]
        retired = [feed.partitions["days"][d]["key"] for d in written if d in feed.partitions.get("days", {})]
        retired += [days.pop(d)["key"] for d in expired]
        partitions = {"days": days, "retired": retired}
        with transaction(services.sessions) as session:
            from sapan.realtime.ingest import lock_feed

            row = lock_feed(session, resource_id)
            previous = list(row.partitions.get("retired", []))
            row.partitions = partitions
            session.execute(
                delete(Observation).where(
                    Observation.resource_id == resource_id,
                    (Observation.seq <= cutoff)
                    | (Observation.observed_at < datetime.fromisoformat(keep_from)),
                )
            )
        for key in previous:
            storage.delete(key)
        return {"rows": recent.num_rows, "days": sorted(written), "expired": expired}
    finally:
        with transaction(services.sessions) as session:
            session.execute(update(Feed).where(Feed.resource_id == resource_id).values(compacting_since=None))


def _write_days(
    storage: Storage, feed: Feed, recent: pa.Table, keep_from: str, days: dict[str, Any]
) -> list[str]:
    cur = engine.cursor(storage)
    try:
        cur.register("recent", recent)
        touched = [
            d.isoformat()
            for (d,) in cur.execute("SELECT DISTINCT CAST(observed_at AS DATE) FROM recent").fetchall()
            if d.isoformat() >= keep_from
        ]
        for day in touched:
            parts = [f"SELECT * FROM recent WHERE CAST(observed_at AS DATE) = DATE {engine.literal(day)}"]
            with tempfile.TemporaryDirectory() as tmp:
                old = days.get(day)
                if old:
                    path = engine.literal(storage.duckdb_path(old["key"]))
                    parts.append(f"SELECT {', '.join(COLUMNS)} FROM read_parquet({path})")
                out = Path(tmp) / "day.parquet"
                cur.execute(
                    f"COPY (SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY observed_at, seq) "
                    f"TO {engine.literal(str(out))} (FORMAT parquet, COMPRESSION zstd)"
                )
                stats = cur.execute(
                    f"SELECT count(*), min(seq), max(seq) FROM read_parquet({engine.literal(str(out))})"
                ).fetchone()
                assert stats is not None
                key = f"realtime/{feed.resource_id}/day={day}/{new_id()}.parquet"
                storage.put_file(key, out)
            days[day] = {"key": key, "rows": stats[0], "min_seq": stats[1], "max_seq": stats[2]}
        return touched
    finally:
        cur.close()


def observations_since(session: Session, storage: Storage, feed: Feed, after: int, limit: int) -> list[Any]:
    """Observations with an event id above `after`, oldest first: what a resuming stream missed."""
    where = [Observation.seq > after]
    recent = recent_rows(session, feed.resource_id, *where)
    days = feed.partitions.get("days", {})
    if not any(info["max_seq"] > after for info in days.values()):
        rows = sorted(zip(*(recent.column(c).to_pylist() for c in COLUMNS), strict=True))
        return rows[:limit]
    with source(storage, feed, recent, after_seq=after) as (cur, rel):
        return cur.execute(
            f"SELECT * FROM {rel} WHERE seq > {int(after)} ORDER BY seq LIMIT {int(limit)}"
        ).fetchall()
