"""Helpers of the harvesting tests: add a source and run it the way `sapan serve` does."""

from __future__ import annotations

import json
from typing import Any

from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api


def add_source(
    api: Api, token: str, url: str, source_type: str, name: str = "src", title: str = "", **config: Any
) -> dict[str, Any]:
    result: dict[str, Any] = api.ok(
        "harvest_source_create", token, name=name, url=url, source_type=source_type, title=title or name,
        frequency="MANUAL", config=json.dumps({"timeout": 1, **config}),
    )  # fmt: skip
    return result


def run(api: Api, token: str, services: Services, source_id: str) -> dict[str, Any]:
    """harvest_job_create, the worker runs it, and the finished job as harvest_job_show answers."""
    job = api.ok("harvest_job_create", token, source_id=source_id)
    run_pending(services, handlers())
    result: dict[str, Any] = api.ok("harvest_job_show", token, id=job["id"])
    return result
