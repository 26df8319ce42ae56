"""What the DataStore knows about each table (the rows themselves live in Parquet files)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base, JSONType, utcnow


class DatastoreTable(Base):
    __tablename__ = "datastore_table"

    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    parquet_key: Mapped[str | None] = mapped_column(Text, nullable=True)  # None until one ingest succeeds
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # [{"id", "type"}]
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # the last ingest's report
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # the last ingest's error, if it failed
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
