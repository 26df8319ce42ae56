"""Catalogue tables. Organizations and groups share one table, as in CKAN."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sapan.db import Base, JSONType, new_id, utcnow


class License(Base):
    __tablename__ = "license"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)


class Group(Base):
    """An organization (publisher, owns datasets) or a group (theme, collects datasets)."""

    __tablename__ = "group"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(Text, default="")
    is_organization: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Dataset(Base):
    __tablename__ = "dataset"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(Text, default="")
    author_email: Mapped[str] = mapped_column(Text, default="")
    maintainer: Mapped[str] = mapped_column(Text, default="")
    maintainer_email: Mapped[str] = mapped_column(Text, default="")
    license_id: Mapped[str | None] = mapped_column(ForeignKey("license.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[str] = mapped_column(String(100), default="dataset")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    level: Mapped[int] = mapped_column(Integer, default=0)  # its classification's level (governance)
    state: Mapped[str] = mapped_column(String(20), default="active")
    owner_org: Mapped[str | None] = mapped_column(ForeignKey("group.id"), nullable=True, index=True)
    creator_user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    metadata_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # Values of the metadata profile's own fields, shown as top-level keys (like ckanext-scheming).
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Free key/value extras, CKAN's `extras` list.
    extras: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)

    organization: Mapped[Group | None] = relationship(lazy="joined")
    license: Mapped[License | None] = relationship(lazy="joined")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset",
        order_by="Resource.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    tags: Mapped[list[DatasetTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DatasetTag.name"
    )
    groups: Mapped[list[Group]] = relationship(secondary="dataset_group", lazy="selectin")


class DatasetTag(Base):
    __tablename__ = "dataset_tag"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    vocabulary_id: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (Index("ix_dataset_tag_name", "name"),)


class DatasetGroup(Base):
    __tablename__ = "dataset_group"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), primary_key=True)


class Resource(Base):
    __tablename__ = "resource"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(100), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    url_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    storage_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hash: Mapped[str] = mapped_column(String(200), default="")
    mimetype: Mapped[str | None] = mapped_column(String(200), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_modified: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    extras: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    datastore_active: Mapped[bool] = mapped_column(Boolean, default=False)  # a DataStore table serves it
    # downloads of its file and DataStore dumps since 0013 (sapan.catalog.downloads)
    download_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    dataset: Mapped[Dataset] = relationship(back_populates="resources")


class Activity(Base):
    """One change to the catalogue: who did what to which object, and which fields changed."""

    __tablename__ = "activity"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    object_id: Mapped[str] = mapped_column(String(36))
    activity_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_activity_object_time", "object_id", "timestamp"),)


class ResourceView(Base):
    """A saved way to show a resource (CKAN's resource view): a Vega-Lite chart over its DataStore
    table, or its table. `config` holds the view type's settings (a chart's checked spec)."""

    __tablename__ = "resource_view"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    view_type: Mapped[str] = mapped_column(String(100))
    order: Mapped[int] = mapped_column(Integer, default=0)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
