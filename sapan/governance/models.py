"""Governance tables: the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base, JSONType, utcnow

# SQLite gives INTEGER PRIMARY KEY its rowid (autoincrement); PostgreSQL a BIGINT identity.
AuditId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One security-relevant event. Append-only: each entry's hash covers its content and the previous
    entry's hash, so an edited or deleted row breaks the chain (`sapan audit verify`)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(AuditId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # user name, "anonymous" or "cli"
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(200), default="", index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")
