"""The search index's own tables. The full-text part is backend-specific and made by migration 0002:
an FTS5 table `search_fts` on SQLite, a `tsv` tsvector column with a GIN index on PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base


class SearchDoc(Base):
    """One indexed dataset: what filters, sorts and phrase boosts need, without touching catalog tables."""

    __tablename__ = "search_doc"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    title_sort: Mapped[str] = mapped_column(Text, default="")
    title_tokens: Mapped[str] = mapped_column(Text, default="")  # " w1 w2 ... " for phrase boosts
    words: Mapped[str] = mapped_column(Text, default="")  # distinct surface words, for the vocabulary
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    level: Mapped[int] = mapped_column(Integer, default=0)  # classification level: members need clearance
    state: Mapped[str] = mapped_column(String(20), default="active")
    owner_org: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, index=True)
    metadata_created: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_search_doc_private_state", "private", "state"),)


class SearchFacet(Base):
    """A facet value of a dataset (organization, tags, res_format, profile choices...). Its primary
    key is the covering index facet counts run on."""

    __tablename__ = "search_facet"

    doc_id: Mapped[int] = mapped_column(ForeignKey("search_doc.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)

    __table_args__ = (Index("ix_search_facet_field_value", "field", "value"), {"sqlite_with_rowid": False})


class SearchLabel(Base):
    """How a facet value is shown (an organization's title for its name, a choice's Thai label)."""

    __tablename__ = "search_label"

    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    label: Mapped[str] = mapped_column(Text, default="")


class SearchTerm(Base):
    """The vocabulary (surface words and how many datasets hold each), for typo tolerance."""

    __tablename__ = "search_term"

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class SearchVector(Base):
    """A dataset's sentence vector (float32 bytes) for cross-lingual search, with the hash of the text
    it encodes (unchanged text is not encoded again) and the generation it was written in."""

    __tablename__ = "search_vector"

    dataset_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(32))
    thai: Mapped[bool] = mapped_column(Boolean)  # written mostly in Thai (else in a Latin script)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    generation: Mapped[int] = mapped_column(BigInteger, index=True)


class SearchMeta(Base):
    """Counters of the index (the vectors' generation, which tells processes to refresh their copy)."""

    __tablename__ = "search_meta"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
