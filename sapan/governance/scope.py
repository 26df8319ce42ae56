"""What a partner's request may see: the rules of its data-flow agreement, carried by its Actor.

Every read path asks `permissions.can_read_dataset` (one dataset) or `datasets.visible_to` and the
search engine's visibility (lists and search); each of them applies a PartnerScope, so a path cannot
forget it. A partner sees public, active datasets only, whatever its agreement lists: private data
never crosses, and the agreement can only narrow what is public further (categories, classifications)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sapan.errors import NotAuthorized
from sapan.governance.classification import LEVELS
from sapan.governance.models import DataFlowAgreement

AGREEMENT_REFUSED = "Data-flow agreement"  # every refusal below starts so (audit.refusal looks for it)


@dataclass(frozen=True)
class PartnerScope:
    """The agreement a request runs under: its partner and what may cross."""

    agreement_id: str
    partner: str
    categories: frozenset[str]
    levels: frozenset[int]

    def allows(self, private: bool, state: str, level: int, category: str) -> bool:
        return not private and state == "active" and level in self.levels and category in self.categories


def scope_of(agreement: DataFlowAgreement) -> PartnerScope:
    return PartnerScope(
        agreement.id,
        agreement.name,
        frozenset(agreement.allowed_data_categories),
        frozenset(LEVELS[c] for c in agreement.allowed_classifications if c in LEVELS),
    )


def check_in_force(agreement: DataFlowAgreement, now: datetime) -> None:
    """Raise NotAuthorized naming why data may not flow under this agreement now (revoked, expired,
    not started); return when it is in force."""
    name = agreement.name
    if agreement.revoked_at is not None:
        raise NotAuthorized(
            f"{AGREEMENT_REFUSED} '{name}' was revoked on {agreement.revoked_at.isoformat()}Z: "
            "no data flows under it"
        )
    if agreement.expires_at <= now:
        raise NotAuthorized(
            f"{AGREEMENT_REFUSED} '{name}' expired on {agreement.expires_at.isoformat()}Z "
            "(its expiry): no data flows under it"
        )
    if agreement.starts_at > now:
        raise NotAuthorized(
            f"{AGREEMENT_REFUSED} '{name}' is not in force until {agreement.starts_at.isoformat()}Z"
        )


def scope_for_user(session: Session, user_id: str, now: datetime) -> PartnerScope | None:
    """The scope of a partner user's requests (None for everyone else); raises NotAuthorized when its
    agreement is revoked, expired or not yet in force. One indexed lookup per authenticated request."""
    agreement = session.scalar(select(DataFlowAgreement).where(DataFlowAgreement.user_id == user_id))
    if agreement is None:
        return None
    check_in_force(agreement, now)
    return scope_of(agreement)
