"""Governance tables: the audit log, data-flow agreements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sapan.db import Base, JSONType, new_id, utcnow

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


class DataFlowAgreement(Base):
    """A partner portal and the rules data flows to it under (issue 7): what may cross (data categories,
    classifications), for which purposes, on which licence conditions, and for how long. The partner
    harvests as its own user, whose every token carries these rules (governance/scope.py)."""

    __tablename__ = "data_flow_agreement"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(90), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    base_url: Mapped[str] = mapped_column(Text)
    allowed_data_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    allowed_classifications: Mapped[list[str]] = mapped_column(JSONType, default=list)
    purposes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    licence_conditions: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The partner's own user: every token of it is bound by this agreement (unique: one agreement each).
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # The token handed out at creation (its digest lives in api_token); revoking the agreement ends it.
    token_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_token.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
