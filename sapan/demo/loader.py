"""Load the demo catalogue through the same service functions the API uses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sapan.accounts.service import site_actor
from sapan.catalog import datasets, groups, resources
from sapan.catalog.models import Dataset, Group
from sapan.db import transaction
from sapan.services import Services

DEMO = Path(__file__).parent


def demo_catalog() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO / "catalog.json").read_text(encoding="utf-8"))
    return data


def load_demo(services: Services, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Add the demo organizations, groups and datasets that are not there yet; return counts added.
    Each dataset is its own transaction, so a bad record would not undo the others."""
    catalog = demo_catalog()
    added = {"organizations": 0, "groups": 0, "datasets": 0, "uploads": 0}
    with transaction(services.sessions) as session:
        actor = site_actor(session)
        existing = set(session.scalars(select(Group.name)))
        for kind, is_org in (("organizations", True), ("groups", False)):
            for item in catalog[kind]:
                if item["name"] not in existing:
                    groups.create_group(session, actor, item, organization=is_org)
                    added[kind] += 1
    todo = catalog["datasets"]
    for i, item in enumerate(todo, 1):
        with transaction(services.sessions) as session:
            if not _present(session, item):
                record = {k: v for k, v in item.items() if k != "resources"}
                record["resources"] = [r for r in item.get("resources", []) if "upload" not in r]
                created = datasets.create_dataset(session, services.catalog, actor, record)
                for res in item.get("resources", []):
                    if "upload" in res:
                        path = DEMO / res["upload"]
                        meta = {k: v for k, v in res.items() if k != "upload"}
                        with path.open("rb") as stream:
                            resources.create_resource(
                                session,
                                services.catalog,
                                actor,
                                {**meta, "package_id": created["id"]},
                                resources.Upload(path.name, stream, "text/csv"),
                            )
                        added["uploads"] += 1
                added["datasets"] += 1
        if progress:
            progress(i, len(todo))
    return added


def _present(session: Any, item: dict[str, Any]) -> bool:
    if item.get("name"):
        return session.scalar(select(Dataset.id).where(Dataset.name == item["name"])) is not None
    return session.scalar(select(Dataset.id).where(Dataset.title == item["title"])) is not None
