"""The harvest actions (ckanext-harvest's names and shapes), the schedule and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sapan.cli import app
from sapan.db import utcnow
from sapan.harvest.schedule import enqueue_due
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user
from tests.harvest.remote import FIXTURES, Remote


@pytest.fixture()
def remote() -> Iterator[Remote]:
    server = Remote()
    body = (FIXTURES / "example-bee-population.ttl").read_bytes()
    server.routes["/catalog.ttl"] = lambda query: (200, body, "text/turtle")
    yield server
    server.close()


def test_sources_are_created_shown_listed_updated_and_deleted(
    api: Api, sysadmin: str, remote: Remote
) -> None:
    created = api.ok(
        "harvest_source_create", sysadmin, name="semic", url=f"{remote.url}/catalog.ttl", source_type="dcat",
        title="SEMIC", frequency="DAILY", config=json.dumps({"api_token": "secret", "tags": ["bees"]}),
    )  # fmt: skip
    assert created["frequency"] == "DAILY" and created["next_run"]
    assert json.loads(created["config"]) == {"api_token": "***", "tags": ["bees"]}  # never shown back
    assert created["status"] == {
        "job_count": 0, "next_harvest": created["next_run"], "last_job": None, "total_datasets": 0,
    }  # fmt: skip
    assert [s["name"] for s in api.ok("harvest_source_list", sysadmin)] == ["semic"]
    updated = api.ok("harvest_source_update", sysadmin, id=created["id"], frequency="MANUAL", config="{}")
    assert (updated["frequency"], updated["next_run"], updated["config"]) == ("MANUAL", None, "{}")
    api.ok("harvest_source_delete", sysadmin, id="semic")
    assert api.ok("harvest_source_list", sysadmin) == []
    api.error("harvest_source_show", sysadmin, id="semic", status=404)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://x", "source_type": "ckan"}, "url"),
        ({"url": "http://x.example", "source_type": "oai-pmh"}, "source_type"),
        ({"url": "http://x.example", "source_type": "ckan", "frequency": "YEARLY"}, "frequency"),
        ({"url": "http://x.example", "source_type": "ckan", "config": "{not json"}, "config"),
        ({"url": "http://x.example", "source_type": "ckan", "config": '{"organizations": "nso"}'}, "config"),
        ({"url": "http://x.example", "source_type": "ckan", "config": '{"owner_org": "nowhere"}'}, "config"),
        ({"source_type": "ckan"}, "url"),
    ],
)
def test_bad_input_answers_a_validation_error_naming_the_field(
    api: Api, sysadmin: str, fields: dict[str, str], field: str
) -> None:
    error = api.error("harvest_source_create", sysadmin, name="src", **fields)
    assert error["__type"] == "Validation Error" and field in error


def test_only_sysadmins_manage_sources(api: Api, services: Services, sysadmin: str) -> None:
    _, token = make_user(services, "somchai")
    for who in (None, token):
        api.error(
            "harvest_source_create", who, status=403, name="x", url="http://x.example", source_type="ckan"
        )
        api.error("harvest_source_list", who, status=403)


def test_jobs_are_created_listed_and_shown(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    source = api.ok(
        "harvest_source_create", sysadmin, name="semic", url=f"{remote.url}/catalog.ttl", source_type="dcat"
    )
    job = api.ok("harvest_job_create", sysadmin, source_id=source["id"])
    assert job["status"] == "New"
    assert "source_id" in api.error("harvest_job_create", sysadmin, source_id=source["id"])  # one at a time
    run_pending(services, handlers())
    shown = api.ok("harvest_job_show", sysadmin, id=job["id"])
    assert shown["status"] == "Finished" and shown["stats"]["added"] == 1
    assert shown["report"][0]["action"] == "created"
    assert [j["id"] for j in api.ok("harvest_job_list", sysadmin, source_id="semic")] == [job["id"]]
    failed = api.client.post(
        "/api/3/action/harvest_job_list", json={"status": "Failed"}, headers={"Authorization": sysadmin}
    )
    assert failed.json()["result"] == []


def test_a_schedule_fires_once_per_due_time(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    source = api.ok(
        "harvest_source_create", sysadmin, name="semic", url=f"{remote.url}/catalog.ttl", source_type="dcat",
        frequency="HOURLY",
    )  # fmt: skip
    later = utcnow() + timedelta(hours=1, minutes=1)
    assert enqueue_due(services, later) == 1
    assert enqueue_due(services, later) == 0  # the next run moved an hour on
    run_pending(services, handlers())
    shown = api.ok("harvest_source_show", sysadmin, id=source["id"])
    assert shown["status"]["last_job"]["status"] == "Finished"
    assert shown["status"]["job_count"] == 1


def test_the_cli_adds_runs_shows_and_removes_a_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remote: Remote
) -> None:
    monkeypatch.setenv("SAPAN_HOME", str(tmp_path))
    monkeypatch.setenv("SAPAN_SEARCH_VECTORS", "false")
    monkeypatch.delenv("SAPAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("SAPAN_STORAGE_URL", raising=False)
    runner = CliRunner()
    added = runner.invoke(app, ["harvest", "add", "semic", f"{remote.url}/catalog.ttl", "--type", "dcat"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["harvest", "list"])
    assert listed.stdout == f"semic\tdcat\tmanual\t-\t{remote.url}/catalog.ttl\n"
    ran = runner.invoke(app, ["harvest", "run", "semic"])
    assert ran.exit_code == 0, ran.output
    assert "1 created" in ran.output
    status = json.loads(runner.invoke(app, ["harvest", "status", "semic"]).stdout)
    assert status["status"]["last_job"]["stats"]["added"] == 1
    assert runner.invoke(app, ["harvest", "remove", "semic"]).exit_code == 0
    assert runner.invoke(app, ["harvest", "list"]).stdout == ""
    failed = runner.invoke(app, ["harvest", "run", "semic"])
    assert failed.exit_code == 1 and "not found" in failed.output


def test_package_search_reads_the_metadata_modified_range_harvesters_send(
    api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, **gdc_dataset(name="household-debt", owner_org=org["id"]))
    since = {"2000-01-01T00:00:00Z": 1, "2999-01-01T00:00:00.000000Z": 0}
    for when, count in since.items():
        found = api.ok("package_search", fq=f"metadata_modified:[{when} TO *] organization:nso")
        assert found["count"] == count, when
    assert "fq" in api.error("package_search", fq="metadata_modified:[yesterday TO *]")
