"""Storing observations: one writer per feed, each observation stored once, latest values kept.

The feed's row is the writer lock: a write starts by updating it (PostgreSQL locks the row, SQLite
takes its single write lock), so sequence numbers (the stream's event ids) are given out in commit
order and a reader that has seen event n has seen every stored event before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sapan.db import utcnow
from sapan.errors import NotFound
from sapan.realtime import history
from sapan.realtime.models import Feed, Observation
from sapan.realtime.schemas import Reading
from sapan.storage.service import Storage


@dataclass
class Stored:
    received: int
    stored: int
    duplicates: int
    last_seq: int

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates,
                "last_event_id": self.last_seq}  # fmt: skip


def lock_feed(session: Session, resource_id: str) -> Feed:
    """Take the feed's writer lock for this transaction and return its row as committed."""
    locked = session.execute(
        update(Feed).where(Feed.resource_id == resource_id).values(last_seq=Feed.last_seq)
    )
    if getattr(locked, "rowcount", 0) != 1:
        raise NotFound("Real-time feed not found")
    return session.scalars(
        select(Feed).where(Feed.resource_id == resource_id).execution_options(populate_existing=True)
    ).one()


def store(session: Session, storage: Storage, resource_id: str, readings: list[Reading]) -> Stored:
    """Store new observations; ones already stored (same entity, variable and time) are skipped.
    The caller commits, then wakes the feed's streams."""
    unique: dict[tuple[str, str, datetime], Reading] = {}
    for r in readings:
        unique.setdefault((r.entity, r.variable, r.observed_at), r)
    feed = lock_feed(session, resource_id)
    if unique and feed.partitions.get("days"):
        # the unique key covers only observations not yet compacted; older days are in Parquet
        for key in history.compacted_keys(storage, feed, list(unique)):
            del unique[key]
    first = feed.last_seq + 1
    rows = [
        (resource_id, first + i, r.entity, r.variable,
         r.value if isinstance(r.value, float) else None, r.value if isinstance(r.value, str) else None,
         r.unit, r.observed_at, r.lat, r.lon)
        for i, r in enumerate(unique.values())
    ]  # fmt: skip
    fresh: list[tuple[Any, ...]] = []
    if rows:
        # straight to the driver's executemany: SQLAlchemy's per-row parameter handling would cost more
        # than the database's work at 10,000s of rows per second
        sql = _sql(session, OBSERVATION_INSERT)
        session.connection().exec_driver_sql(sql, [_driver_row(session, row) for row in rows])
        stored = set(
            session.scalars(
                select(Observation.seq).where(
                    Observation.resource_id == resource_id, Observation.seq >= first
                )
            )
        )
        fresh = [row for row in rows if row[1] in stored]
    if fresh:
        _update_latest(session, fresh)
        feed.last_seq = fresh[-1][1]
        newest: datetime = max(row[7] for row in fresh)
        feed.last_observed_at = max(newest, feed.last_observed_at or newest)
    feed.last_received_at = utcnow()
    if feed.kind == "pushed":
        feed.stale, feed.error = False, None
    return Stored(len(readings), len(fresh), len(readings) - len(fresh), feed.last_seq)


COLUMNS = "resource_id, seq, entity, variable, value, text, unit, observed_at, lat, lon"
OBSERVATION_INSERT = f"INSERT INTO realtime_observation ({COLUMNS}) VALUES ({{marks}}) ON CONFLICT DO NOTHING"
LATEST_UPSERT = (
    f"INSERT INTO realtime_latest ({COLUMNS}) VALUES ({{marks}}) "
    "ON CONFLICT (resource_id, entity, variable) DO UPDATE SET value = excluded.value, text = excluded.text, "
    "unit = excluded.unit, observed_at = excluded.observed_at, lat = excluded.lat, lon = excluded.lon, "
    "seq = excluded.seq "
    # an observation that arrives late never replaces a newer latest value
    "WHERE realtime_latest.observed_at < excluded.observed_at"
)


def _sql(session: Session, template: str) -> str:
    mark = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    return template.format(marks=", ".join([mark] * 10))


def _driver_row(session: Session, row: tuple[Any, ...]) -> tuple[Any, ...]:
    if session.get_bind().dialect.name != "sqlite":
        return row
    # SQLite keeps times as text; written exactly as SQLAlchemy writes them, so the unique key matches
    return (*row[:7], row[7].isoformat(" ", "microseconds"), *row[8:])


def _update_latest(session: Session, rows: list[tuple[Any, ...]]) -> None:
    newest: dict[tuple[str, str], tuple[Any, ...]] = {}
    for row in rows:
        key = (row[2], row[3])
        if key not in newest or row[7] > newest[key][7]:
            newest[key] = row
    sql = _sql(session, LATEST_UPSERT)
    session.connection().exec_driver_sql(sql, [_driver_row(session, row) for row in newest.values()])
