"""The real-time tables: one row per feed, the latest value of each (entity, variable), and the recent
observations not yet compacted into the feed's Parquet history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base, JSONType, utcnow


class Feed(Base):
    """A real-time resource's settings and health. The row is also the feed's writer lock: every write
    of observations updates it first, so one writer at a time assigns the feed's sequence numbers."""

    __tablename__ = "realtime_feed"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="pushed")  # polled | pushed
    source_url: Mapped[str] = mapped_column(Text, default="")
    poll_seconds: Mapped[int] = mapped_column(Integer, default=60)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # {"name": ...} or a generic map
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # the newest observation's event id
    last_observed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_received_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    polling_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # a poll is running
    failures: Mapped[int] = mapped_column(Integer, default=0)  # polls failed in a row (for the backoff)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"YYYY-MM-DD": {"key", "rows", "min_seq", "max_seq"}}: one compacted Parquet file per day
    partitions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    next_compact_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    compacting_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LatestValue(Base):
    """The newest observation of each (entity, variable): what `latest` answers without touching history."""

    __tablename__ = "realtime_latest"

    resource_id: Mapped[str] = mapped_column(
        ForeignKey("realtime_feed.resource_id", ondelete="CASCADE"), primary_key=True
    )
    entity: Mapped[str] = mapped_column(String(200), primary_key=True)
    variable: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # a value that is not a number
    unit: Mapped[str] = mapped_column(String(50), default="")
    observed_at: Mapped[datetime] = mapped_column(DateTime)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class Observation(Base):
    """An observation received since the feed's last compaction. The unique key makes a re-delivered
    observation (same entity, variable and time) a no-op."""

    __tablename__ = "realtime_observation"

    resource_id: Mapped[str] = mapped_column(
        ForeignKey("realtime_feed.resource_id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(200))
    variable: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    unit: Mapped[str] = mapped_column(String(50), default="")
    observed_at: Mapped[datetime] = mapped_column(DateTime)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (
        UniqueConstraint(
            "resource_id", "entity", "variable", "observed_at", name="uq_realtime_observation_key"
        ),
        Index("ix_realtime_observation_time", "resource_id", "observed_at"),
    )
