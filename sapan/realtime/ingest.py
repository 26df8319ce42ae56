"""Storing observations: one writer per feed, each observation stored once, latest values kept.

The feed's row is the writer lock: a write starts by updating it (PostgreSQL locks the row, SQLite
takes its single write lock), so sequence numbers (the stream's event ids) are given out in commit
order and a reader that has seen event n has seen every stored event before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sapan.db import utcnow
from sapan.errors import NotFound
from sapan.realtime import history
from sapan.realtime.models import Feed, LatestValue, Observation
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


def _insert(session: Session, table: Any) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


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
    rows: list[dict[str, Any]] = [
        {
            "resource_id": resource_id, "seq": feed.last_seq + i, "entity": r.entity, "variable": r.variable,
            "value": r.value if isinstance(r.value, float) else None,
            "text": r.value if isinstance(r.value, str) else None,
            "unit": r.unit, "observed_at": r.observed_at, "lat": r.lat, "lon": r.lon,
        }
        for i, r in enumerate(unique.values(), start=1)
    ]  # fmt: skip
    stored_seqs: set[int] = set()
    if rows:
        insert = _insert(session, Observation).on_conflict_do_nothing()
        stored_seqs = set(session.scalars(insert.returning(Observation.seq), rows))
    fresh = [row for row in rows if row["seq"] in stored_seqs]
    if fresh:
        _update_latest(session, fresh)
        feed.last_seq = max(stored_seqs)
        newest: datetime = max(row["observed_at"] for row in fresh)
        feed.last_observed_at = max(newest, feed.last_observed_at or newest)
    feed.last_received_at = utcnow()
    if feed.kind == "pushed":
        feed.stale, feed.error = False, None
    return Stored(len(readings), len(fresh), len(readings) - len(fresh), feed.last_seq)


def _update_latest(session: Session, rows: list[dict[str, Any]]) -> None:
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["entity"], row["variable"])
        if key not in newest or row["observed_at"] > newest[key]["observed_at"]:
            newest[key] = row
    insert = _insert(session, LatestValue)
    changed = {c: insert.excluded[c] for c in ("value", "text", "unit", "observed_at", "lat", "lon", "seq")}
    upsert = insert.on_conflict_do_update(
        index_elements=["resource_id", "entity", "variable"],
        set_=changed,
        # an observation that arrives late never replaces a newer latest value
        where=LatestValue.observed_at < insert.excluded.observed_at,
    )
    session.execute(upsert, list(newest.values()))
