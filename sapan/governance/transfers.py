"""The audit trail of outbound flows: every answer sent to a partner portal under its data-flow
agreement is one audit entry (`partner.transfer`) naming the partner, the datasets and the bytes.

One entry per request, not per dataset, so a harvester's 100-dataset page costs one row; the entry
is written before the answer leaves, and a failure to write it fails the request (no unrecorded flow)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sapan.governance import audit
from sapan.governance.scope import PartnerScope

# Actions whose answers carry catalogue or table data (the others: site_read, status_show...).
TRANSFER_ACTIONS = frozenset(
    {
        "package_search", "package_show", "package_list", "current_package_list_with_resources",
        "package_activity_list", "resource_show", "datastore_search", "datastore_search_sql",
        "datastore_info", "organization_show", "group_show", "tag_list",
    }
)  # fmt: skip
MAX_IDS = 1000  # package_search answers at most 1000 rows; a bound keeps one entry small anyway


def dataset_ids_in(result: Any) -> list[str]:
    """Ids of the datasets an answer holds: package dicts (alone, in a list or in search results, with
    their resources) and resource dicts (their package_id). In order, without repeats."""
    found: dict[str, None] = {}

    def visit(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            if isinstance(value.get("results"), list):
                visit(value["results"])
            elif isinstance(value.get("packages"), list):
                visit(value["packages"])
            elif "resources" in value and isinstance(value.get("id"), str):
                found[value["id"]] = None
            elif isinstance(value.get("package_id"), str):
                found[value["package_id"]] = None

    visit(result)
    return list(found)[:MAX_IDS]


def record_transfer(
    session: Session,
    actor: str,
    scope: PartnerScope,
    channel: str,
    dataset_ids: list[str],
    size: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit one outbound answer to a partner: `channel` says which (an action name, `dcat.catalog`,
    `download`...), `size` is the answer's body in bytes."""
    details: dict[str, Any] = {
        "partner": scope.partner, "agreement_id": scope.agreement_id, "channel": channel,
        "datasets": dataset_ids[:MAX_IDS], "bytes": size, **(extra or {}),
    }  # fmt: skip
    audit.record(session, actor, "partner.transfer", "data_flow_agreement", scope.partner, details)
