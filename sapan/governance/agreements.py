"""Data-flow agreements (issue 7): the partner portals this portal exchanges data with, and the rules.

Outbound, a partner harvests with the API token partner_create answers once; its requests carry the
agreement's scope (governance/scope.py) and every answer is audited (governance/transfers.py).
Inbound, the harvester asks `inbound_allowed` before publishing a dataset that came from a partner."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.models import ApiToken, User
from sapan.accounts.service import Actor, create_token, create_user
from sapan.db import utcnow
from sapan.errors import NotAuthorized, NotFound, ValidationError
from sapan.governance import audit
from sapan.governance.classification import (
    CATEGORIES,
    CATEGORY_ALIASES,
    CLASSIFICATION_ALIASES,
    LEVELS,
    PUBLIC_CATEGORY,
    category_of,
)
from sapan.governance.countries import ISO_3166_ALPHA2
from sapan.governance.models import DataFlowAgreement
from sapan.governance.scope import check_in_force

NAME = re.compile(r"^[a-z0-9_-]{2,90}$")
OPEN = "เปิดเผย"
USER_PREFIX = "partner-"  # the partner's own user is partner-{name}
EDITABLE = ("title", "base_url", "allowed_data_categories", "allowed_classifications", "purposes",
            "licence_conditions", "expires")  # fmt: skip


def _strings(value: Any, field: str, errors: dict[str, list[str]]) -> list[str]:
    """A list of strings from a JSON list or a comma-separated string (query strings, the CLI)."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        errors.setdefault(field, []).append("Must be a list of strings")
        return []
    return list(dict.fromkeys(i.strip() for i in items if i.strip()))


def _choices(
    value: Any, field: str, known: tuple[str, ...], aliases: dict[str, str], errors: dict[str, list[str]]
) -> list[str]:
    out = []
    for item in _strings(value, field, errors):
        chosen = aliases.get(item.lower(), item)
        if chosen not in known:
            errors.setdefault(field, []).append(
                f"Unknown value {item}: use {', '.join(known)} (or {', '.join(aliases)})"
            )
        else:
            out.append(chosen)
    return list(dict.fromkeys(out))


def _when(value: Any, field: str, errors: dict[str, list[str]]) -> datetime | None:
    """An ISO 8601 date or date-time as naive UTC (a date alone is its midnight, UTC)."""
    if value is None or value == "":
        return None
    try:
        when = datetime.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append("Must be an ISO 8601 date or date-time, e.g. 2027-12-31")
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def _url(value: Any, errors: dict[str, list[str]]) -> str:
    url = str(value or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.setdefault("base_url", []).append("Must be the partner portal's http(s) URL")
    return url


def _parse(data: dict[str, Any], existing: DataFlowAgreement | None) -> dict[str, Any]:
    """The agreement's fields from a request, checked; raises ValidationError naming each bad field.
    For an update (`existing`), only the fields given are read."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return existing is None or key in data

    if existing is None:
        name = str(data.get("name") or "")
        if not NAME.match(name):
            errors["name"] = ["Must be 2-90 characters: lowercase alphanumeric (ascii), '-' and '_'"]
        country = str(data.get("country") or "").strip().upper()
        if country not in ISO_3166_ALPHA2:
            unknown = data.get("country")
            errors["country"] = [f"Unknown country {unknown!r}: use an ISO 3166-1 code (SG, TH...)"]
        out.update(name=name, country=country)
    if given("title"):
        out["title"] = str(data.get("title") or "")
    if given("base_url"):
        out["base_url"] = _url(data.get("base_url"), errors)
    if given("allowed_data_categories"):
        out["allowed_data_categories"] = _choices(
            data.get("allowed_data_categories"),
            "allowed_data_categories",
            CATEGORIES,
            CATEGORY_ALIASES,
            errors,
        ) or [PUBLIC_CATEGORY]  # the default: public data, classified open (below)
    if given("allowed_classifications"):
        out["allowed_classifications"] = _choices(
            data.get("allowed_classifications"), "allowed_classifications", tuple(LEVELS),
            CLASSIFICATION_ALIASES, errors,
        ) or [OPEN]  # fmt: skip
    if given("purposes"):
        out["purposes"] = _strings(data.get("purposes"), "purposes", errors)
    if given("licence_conditions") or "license_conditions" in data:
        conditions = data.get("licence_conditions") or data.get("license_conditions")  # either spelling
        out["licence_conditions"] = str(conditions or "")
    now = utcnow()
    starts = _when(data.get("starts"), "starts", errors) if existing is None else existing.starts_at
    if existing is None:
        out["starts_at"] = starts or now
    if given("expires"):
        expires = _when(data.get("expires"), "expires", errors)
        if expires is None and "expires" not in errors:
            errors["expires"] = ["Missing value: when the agreement ends (ISO 8601 date or date-time)"]
        elif expires is not None and expires <= now:
            errors["expires"] = [f"The expiry {expires.isoformat()}Z is in the past"]
        elif expires is not None and starts is not None and expires <= starts:
            errors["expires"] = ["Must be after the start"]
        out["expires_at"] = expires
    if errors:
        raise ValidationError(errors)
    return out


def create_partner(session: Session, actor: Actor, data: dict[str, Any]) -> tuple[DataFlowAgreement, str]:
    """partner_create (sysadmins): record an agreement, make the partner's user and its API token.
    Returns the agreement and the plain token, which is never stored (only its digest) nor shown again.
    Raises ValidationError naming each bad field, NotAuthorized."""
    permissions.ensure_sysadmin(actor, "create data-flow agreements")
    fields = _parse(data, None)
    clash = session.scalar(select(DataFlowAgreement.id).where(DataFlowAgreement.name == fields["name"]))
    if clash or session.scalar(select(User.id).where(User.name == USER_PREFIX + fields["name"])):
        raise ValidationError.one("name", "That partner name is already in use.")
    user = create_user(session, USER_PREFIX + fields["name"], fullname=fields["title"] or fields["name"])
    token, plain = create_token(session, user, f"data-flow agreement {fields['name']}", by=actor.name)
    token.expires_at = fields["expires_at"]  # the token ends with the agreement, whatever else happens
    agreement = DataFlowAgreement(**fields, user_id=user.id, token_id=token.id, created_by=actor.name or "")
    session.add(agreement)
    session.flush()
    audit.record(session, actor.name or "", "partner.create", "data_flow_agreement", agreement.name,
                 _audited(agreement))  # fmt: skip
    return agreement, plain


def _audited(agreement: DataFlowAgreement) -> dict[str, Any]:
    out = partner_dict(agreement)
    return {k: out[k] for k in ("id", "country", "base_url", *EDITABLE[2:-1], "starts", "expires")}


def get_partner(session: Session, ref: Any) -> DataFlowAgreement:
    if not isinstance(ref, str) or not ref:
        raise ValidationError.one("id", "Missing value")
    found = session.scalar(
        select(DataFlowAgreement).where(or_(DataFlowAgreement.id == ref, DataFlowAgreement.name == ref))
    )
    if found is None:
        raise NotFound("Data-flow agreement not found")
    return found


def list_partners(session: Session, actor: Actor) -> list[DataFlowAgreement]:
    permissions.ensure_sysadmin(actor, "list data-flow agreements")
    return list(session.scalars(select(DataFlowAgreement).order_by(DataFlowAgreement.name)))


def show_partner(session: Session, actor: Actor, ref: Any) -> DataFlowAgreement:
    permissions.ensure_sysadmin(actor, "read data-flow agreements")
    return get_partner(session, ref)


def update_partner(session: Session, actor: Actor, data: dict[str, Any]) -> DataFlowAgreement:
    """partner_update (sysadmins): change the given fields (title, base_url, allowed_data_categories,
    allowed_classifications, purposes, licence_conditions, expires); name and country stay."""
    permissions.ensure_sysadmin(actor, "change data-flow agreements")
    agreement = get_partner(session, data.get("id") or data.get("name"))
    if agreement.revoked_at is not None:
        raise ValidationError.one("id", "A revoked agreement cannot change: create a new one")
    before = _audited(agreement)
    fields = _parse(data, agreement)
    for key, value in fields.items():
        setattr(agreement, key, value)
    if "expires_at" in fields:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == agreement.user_id)
            .values(expires_at=agreement.expires_at)
        )
    session.flush()
    after = _audited(agreement)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit.record(session, actor.name or "", "partner.update", "data_flow_agreement", agreement.name,
                 {"changed": changed})  # fmt: skip
    return agreement


def revoke_partner(session: Session, actor: Actor, ref: Any, reason: str = "") -> DataFlowAgreement:
    """partner_revoke (sysadmins): the flow stops at once. The partner's tokens expire now (kept, so the
    partner is told the agreement was revoked rather than that its token is unknown)."""
    permissions.ensure_sysadmin(actor, "revoke data-flow agreements")
    agreement = get_partner(session, ref)
    if agreement.revoked_at is not None:
        return agreement
    now = utcnow()
    agreement.revoked_at = now
    session.execute(update(ApiToken).where(ApiToken.user_id == agreement.user_id).values(expires_at=now))
    session.flush()
    audit.record(session, actor.name or "", "partner.revoke", "data_flow_agreement", agreement.name,
                 {"id": agreement.id, "reason": reason})  # fmt: skip
    return agreement


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def state_of(agreement: DataFlowAgreement, now: datetime | None = None) -> str:
    """active, revoked, expired or pending (not started yet)."""
    now = now or utcnow()
    if agreement.revoked_at is not None:
        return "revoked"
    if agreement.expires_at <= now:
        return "expired"
    return "pending" if agreement.starts_at > now else "active"


def partner_dict(agreement: DataFlowAgreement) -> dict[str, Any]:
    return {
        "id": agreement.id, "name": agreement.name, "title": agreement.title, "country": agreement.country,
        "base_url": agreement.base_url, "allowed_data_categories": agreement.allowed_data_categories,
        "allowed_classifications": agreement.allowed_classifications, "purposes": agreement.purposes,
        "licence_conditions": agreement.licence_conditions, "starts": _iso(agreement.starts_at),
        "expires": _iso(agreement.expires_at), "revoked_at": _iso(agreement.revoked_at),
        "state": state_of(agreement), "user": USER_PREFIX + agreement.name, "token_id": agreement.token_id,
        "created_by": agreement.created_by, "created": _iso(agreement.created_at),
    }  # fmt: skip


def find_agreement(session: Session, partner_name_or_url: str) -> DataFlowAgreement | None:
    """The agreement with this name, or whose base URL is this URL or a prefix of it (a harvest
    source's URL is often the portal's API address under its base URL)."""
    ref = partner_name_or_url.strip()
    by_name = session.scalar(select(DataFlowAgreement).where(DataFlowAgreement.name == ref))
    if by_name is not None:
        return by_name
    url = ref.rstrip("/")
    # Newest first: a re-made agreement with the same portal wins over the revoked one it replaced.
    for agreement in session.scalars(select(DataFlowAgreement).order_by(DataFlowAgreement.created_at.desc())):
        if url == agreement.base_url or url.startswith(agreement.base_url + "/"):
            return agreement
    return None


def inbound_allowed(session: Session, partner_name_or_url: str, dataset: dict[str, Any]) -> str | None:
    """Why a dataset harvested from this partner may not be published here (a reason to put in the
    harvest report), or None when its agreement allows publishing it. The dataset is a package dict as
    the partner sent it (its own data_category and data_classification: harvested datasets keep them)."""
    agreement = find_agreement(session, partner_name_or_url)
    if agreement is None:
        return f"No data-flow agreement with {partner_name_or_url}: nothing from it is published"
    try:
        check_in_force(agreement, utcnow())
    except NotAuthorized as exc:
        return str(exc)
    if dataset.get("private") in (True, "true", "True"):
        return "The dataset is private at its source"
    category = CATEGORY_ALIASES.get(category_of(dataset).lower(), category_of(dataset))
    if category not in agreement.allowed_data_categories:
        return (
            f"Data category {category} is not allowed by the agreement with {agreement.name} "
            f"(allowed: {', '.join(agreement.allowed_data_categories)})"
        )
    raw = str(dataset.get("data_classification") or OPEN)
    classification = CLASSIFICATION_ALIASES.get(raw.lower(), raw)
    if classification not in agreement.allowed_classifications:
        return (
            f"Classification {raw} is not allowed by the agreement with {agreement.name} "
            f"(allowed: {', '.join(agreement.allowed_classifications)})"
        )
    return None
