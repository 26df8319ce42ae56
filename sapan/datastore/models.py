"""What the DataStore knows about each table (the rows themselves live in Parquet files).

A resource has one table, or one per sheet of a workbook. The first table's id is the resource's id
(so CKAN clients find it); a later sheet's table is `{resource_id}:{position}`. The first table also
carries the last ingest's report and error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base, JSONType, utcnow


def table_id(resource_id: str, position: int) -> str:
    return resource_id if position == 1 else f"{resource_id}:{position}"


def resource_of(table_ref: str) -> str:
    """The resource a table id belongs to."""
    return table_ref.split(":", 1)[0]


def table_file_keys(parquet_key: str | None, index_key: str | None, personal_data: Any) -> list[str]:
    """The storage keys one table row uses: its Parquet, its text index, a masked table's original
    (the orphan sweep keeps them, a backup copies them)."""
    original = (personal_data or {}).get("original_key")
    return [k for k in (parquet_key, index_key, original) if k]


class DatastoreTable(Base):
    __tablename__ = "datastore_table"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)  # the sheet's place in the workbook, from 1
    name: Mapped[str] = mapped_column(Text, default="")  # the sheet's name; "" for a CSV or JSON file
    parquet_key: Mapped[str | None] = mapped_column(Text, nullable=True)  # None until one ingest succeeds
    index_key: Mapped[str | None] = mapped_column(Text, nullable=True)  # the text index, once built
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # [{"id", "type"}]
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    value_counts: Mapped[dict[str, dict[str, int]]] = mapped_column(JSONType, default=dict)  # stats.py
    report: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # the last ingest's report
    # {"findings": [{column, kind, count, rows, confidence}], "scanned", "approval": {by, reason, at}}
    personal_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # the last ingest's error, if it failed
    updated: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def positional_ids(self) -> bool:
        """Whether `_id` is the row's place in the Parquet file rather than a stored column."""
        return bool((self.report or {}).get("row_ids") == "position")
