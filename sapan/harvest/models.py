"""The harvest tables: sources (what to harvest and when), jobs (one row per run, with its report) and
objects (one row per harvested remote record: where it came from and what it became)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base, JSONType, new_id, utcnow


class HarvestSource(Base):
    __tablename__ = "harvest_source"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text)
    source_type: Mapped[str] = mapped_column(String(20))  # ckan | dcat | datagovsg
    frequency: Mapped[str] = mapped_column(String(20), default="manual")  # manual hourly daily weekly
    # api_token, organizations, tags, groups, name_prefix, fetch_resources, owner_org
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | deleted
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_run: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)


class HarvestJob(Base):
    """One run of a source. `report` lists what happened to each record that did not stay unchanged."""

    __tablename__ = "harvest_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="New")  # New Running Finished Failed
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    bytes_fetched: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # [{"remote_id", "dataset_id", "action": created|updated|deleted|failed|skipped, "reason"}]
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    background_job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)

    __table_args__ = (Index("ix_harvest_job_source_created", "source_id", "created"),)


class HarvestObject(Base):
    """A remote record harvested from a source and the local dataset it became."""

    __tablename__ = "harvest_object"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(500))  # the source's id or guid (an IRI for DCAT)
    dataset_id: Mapped[str] = mapped_column(String(36), index=True)
    original_url: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))  # of the converted dataset dict
    metadata_modified: Mapped[str] = mapped_column(String(40), default="")  # as the source says it
    harvested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("source_id", "remote_id", name="uq_harvest_object_remote"),)
