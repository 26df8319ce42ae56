"""Which harvested datasets may be published here: the one place data-flow agreements act on inbound
data. A dataset is published only when it was public at its source and its data category and
classification (when the source gives them) are public and open; a source that is a partner portal (an
agreement's base URL covers it) is narrowed further by that agreement, and a run under an agreement that
is not in force (revoked, expired, not started) reads nothing. Anything refused is never imported: the
run's report says why."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sapan.db import utcnow
from sapan.errors import NotAuthorized
from sapan.governance.agreements import find_agreement, inbound_allowed
from sapan.governance.classification import LEVELS, PUBLIC_CATEGORY
from sapan.governance.scope import check_in_force


def flow_refusal(session: Session, source_url: str) -> str | None:
    """Why nothing may be harvested from this source now (its agreement is revoked, expired or not yet
    in force), or None. A source no agreement covers (data.go.th, say) follows the default rule."""
    agreement = find_agreement(session, source_url)
    if agreement is None:
        return None
    try:
        check_in_force(agreement, utcnow())
    except NotAuthorized as exc:
        return str(exc)
    return None


def inbound_refusal(session: Session, source: Any, dataset_dict: dict[str, Any]) -> str | None:
    """Why this dataset may not be published here, or None when it may. `source` is the
    HarvestSource (agreements will read its partner); `dataset_dict` the dataset as harvested, with
    `private` as the source had it."""
    if dataset_dict.get("private"):
        return "private at the source"
    if dataset_dict.get("state", "active") != "active":
        return f"{dataset_dict.get('state')} at the source"
    category = dataset_dict.get("data_category")
    if category and category != PUBLIC_CATEGORY:
        return f"data category {category} is not public"
    classification = dataset_dict.get("data_classification")
    if classification and LEVELS.get(str(classification), 99) > 0:
        return f"classified {classification}, not open"
    url = getattr(source, "url", "")
    if url and find_agreement(session, url) is not None:
        return inbound_allowed(session, url, dataset_dict)
    return None


def inbound_publishable(session: Session, source: Any, dataset_dict: dict[str, Any]) -> bool:
    """Whether a harvested dataset may be published on this portal."""
    return inbound_refusal(session, source, dataset_dict) is None
