"""The audit log: who did what to which object, when and from where, for security-relevant events
(token created/revoked, membership changed, dataset published/unpublished or reclassified, SQL over
non-open tables, failed API authentication).

Append-only and tamper-evident: entry n stores sha256(entry n-1's hash + entry n's content). Entries
are chained in id order; writers serialise on a lock held until commit (a PostgreSQL advisory lock;
SQLite has one writer at a time anyway), so ids are handed out in chain order."""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sapan.errors import NotAuthorized, ValidationError
from sapan.governance.models import AuditEntry

CHAIN_LOCK = 7_353_926  # any fixed number: the advisory lock the writers of the chain share
request_ip: contextvars.ContextVar[str] = contextvars.ContextVar("request_ip", default="")


def _content(entry: AuditEntry) -> str:
    body = [entry.id, entry.at.isoformat(), entry.actor, entry.ip, entry.action, entry.object_type,
            entry.object_id, entry.details]  # fmt: skip
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _content(entry)).encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (it commits, or is rolled back, with the change)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK})
    entry = AuditEntry(
        actor=actor or "anonymous", ip=request_ip.get(), action=action, object_type=object_type,
        object_id=object_id, details=details or {},
    )  # fmt: skip
    session.add(entry)
    session.flush()  # the id, and on SQLite the write lock, before the previous entry is read
    previous = session.scalar(
        select(AuditEntry.hash).where(AuditEntry.id < entry.id).order_by(AuditEntry.id.desc()).limit(1)
    )
    session.refresh(entry, ["at"])  # as the database keeps it, so verify() recomputes the same text
    entry.prev_hash = previous or ""
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.flush()
    return entry


# A refused change to these is a security event even when it changes nothing.
GOVERNED_FIELDS = {
    "private",
    "data_category",
    "data_classification",
    "clearance",
    "license_id",
    "reason",
    "columns",
}


def refusal(
    exc: Exception, had_token: bool, write: bool, actor: str | None, action: str, data: dict[str, Any]
) -> tuple[str, str, str, str, dict[str, Any]] | None:
    """The audit entry (actor, action, object type, object id, details) for a refused request, when it
    is a security event: a bad API token, or a write refused as not authorized or over a governed field."""
    reason = str(exc)
    if (
        isinstance(exc, NotAuthorized)
        and had_token
        and reason.startswith(("Invalid API token", "API token expired"))
    ):
        return "anonymous", "auth.failure", "api_token", "", {"reason": reason}
    if isinstance(exc, NotAuthorized) and had_token and reason.startswith("Data-flow agreement"):
        # a partner asking after its agreement expired or was revoked: the flow it was refused
        return "anonymous", "partner.refused", "request", action, {"reason": reason}
    target = str(data.get("id") or data.get("name") or data.get("resource_id") or "")[:200]
    if isinstance(exc, NotAuthorized) and write:
        return (
            actor or "anonymous",
            "request.refused",
            "request",
            target,
            {"action": action, "reason": reason},
        )
    if isinstance(exc, ValidationError) and write and GOVERNED_FIELDS & set(exc.errors):
        return (
            actor or "anonymous",
            "request.refused",
            "request",
            target,
            {"action": action, "errors": exc.errors},
        )
    return None


def verify(session: Session) -> list[str]:
    """Every break in the chain, as readable problems; [] when the log is intact."""
    problems: list[str] = []
    previous, last_id = "", 0
    for entry in oldest_first(session):
        if entry.prev_hash != previous:
            problems.append(f"entry {entry.id}: the entry before it (after {last_id}) was deleted or changed")
        elif entry.hash != entry_hash(previous, entry):
            problems.append(f"entry {entry.id}: its content was changed after it was written")
        previous, last_id = entry.hash, entry.id
    return problems


def oldest_first(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000)


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "ip": entry.ip,
        "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
        "details": entry.details, "hash": entry.hash,
    }  # fmt: skip


def _since(value: Any, key: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError.one(key, "Must be an ISO date or date-time") from exc


def entries(
    session: Session, filters: dict[str, Any], limit: int | None = 100, offset: int = 0
) -> Iterator[AuditEntry]:
    """Entries newest first, filtered by actor, action, object_id, since/until (ISO)."""
    query = select(AuditEntry)
    for key in ("actor", "action", "object_id", "object_type"):
        if filters.get(key):
            query = query.where(getattr(AuditEntry, key) == str(filters[key]))
    if (since := _since(filters.get("since"), "since")) is not None:
        query = query.where(AuditEntry.at >= since)
    if (until := _since(filters.get("until"), "until")) is not None:
        query = query.where(AuditEntry.at <= until)
    query = query.order_by(AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    yield from session.scalars(query)
