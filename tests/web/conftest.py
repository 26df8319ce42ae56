"""A small bilingual catalogue for the portal's page tests."""

from __future__ import annotations

from typing import Any

import pytest

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset

HOSTILE = "<script>alert(1)</script>"


def run_jobs(services: Services) -> None:
    """Run the queued jobs (ingest, the personal-data scan) as the embedded worker would."""
    run_pending(services, handlers())


@pytest.fixture()
def catalogue(api: Api, sysadmin: str, org: dict[str, Any]) -> dict[str, Any]:
    """25 public datasets in two organizations and a theme, one private dataset."""
    api.ok("organization_create", sysadmin, name="doh", title="กรมอนามัย / Department of Health")
    api.ok("group_create", sysadmin, name="health", title="สุขภาพ / Health")
    for i in range(25):
        api.ok(
            "package_create",
            sysadmin,
            **gdc_dataset(
                name=f"debt-{i:02d}",
                title=f"หนี้สินครัวเรือน ภาค {i:02d}",
                owner_org="nso" if i < 20 else "doh",
                tags=[{"name": "สถิติ"}, {"name": "หนี้สิน" if i % 2 else "รายได้"}],
                groups=[{"name": "health"}] if i >= 20 else [],
            ),
        )
    secret = api.ok(
        "package_create",
        sysadmin,
        **gdc_dataset(name="secret-debt", title="หนี้สินลับ", owner_org="nso", private=True),
    )
    return {"secret": secret}
