"""Which harvested datasets may be published here. The one place data-flow agreements plug into for
inbound data: for now, a dataset is published only when it was public at its source and its data
category and classification (when the source gives them) are public and open. Anything else (private,
internal, confidential...) is never imported: the run's report says why."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sapan.governance.classification import LEVELS, PUBLIC_CATEGORY


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
    return None


def inbound_publishable(session: Session, source: Any, dataset_dict: dict[str, Any]) -> bool:
    """Whether a harvested dataset may be published on this portal."""
    return inbound_refusal(session, source, dataset_dict) is None
