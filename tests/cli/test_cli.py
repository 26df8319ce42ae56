"""The `sapan` command, with exact output where scripts depend on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sapan.accounts.service import actor_for_token
from sapan.cli import app
from sapan.config import Settings
from sapan.db import transaction
from sapan.services import build_services


def test_init_user_add_and_token_create(env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (env / "sapan.db").exists()
    result = runner.invoke(app, ["user", "add", "somsri", "--sysadmin", "--email", "somsri@mdes.go.th"])
    assert result.exit_code == 0, result.output  # no terminal: no password prompt
    result = runner.invoke(app, ["token", "create", "somsri"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert result.stdout == token + "\n"  # only the token on stdout
    services = build_services(Settings())
    with transaction(services.sessions) as session:
        actor = actor_for_token(session, token)
    services.close()
    assert actor.name == "somsri" and actor.sysadmin


def test_cli_errors_are_readable(env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["user", "add", "Bad Name"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "name" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["token", "create", "nobody"])
    assert result.exit_code == 1 and "User not found" in result.output


def test_db_upgrade_is_idempotent(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0


def test_readme_configuration_table_is_current() -> None:
    from sapan.config import settings_table

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, (
        "regenerate it: python -c 'from sapan.config import settings_table; print(settings_table())'"
    )


def test_search_reindex_command(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    result = runner.invoke(app, ["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 72 datasets." in result.output
    from sapan.accounts.service import ANONYMOUS
    from sapan.search.service import SearchQuery, search_datasets

    services = build_services(Settings())
    with transaction(services.sessions) as session:
        found = search_datasets(session, services.catalog, ANONYMOUS, SearchQuery(q="ครัวเรือน"))
    services.close()
    assert found["count"] >= 2


def test_datastore_ingest_command(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    from sqlalchemy import select

    from sapan.catalog.models import Resource

    services = build_services(Settings())
    with transaction(services.sessions) as session:
        rid = session.scalar(select(Resource.id).where(Resource.url == "n_icu_bed_2553.csv"))
    services.close()
    result = runner.invoke(app, ["datastore", "ingest", str(rid)])
    assert result.exit_code == 0, result.output
    assert "75 rows, 17 columns." in result.output
    assert runner.invoke(app, ["datastore", "ingest", "no-such-resource"]).exit_code == 1


def test_audit_verify_and_export(env: Path) -> None:
    import json
    import sqlite3

    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["user", "add", "malee", "--sysadmin"]).exit_code == 0
    for _ in range(3):
        assert runner.invoke(app, ["token", "create", "malee"]).exit_code == 0
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    exported = [json.loads(line) for line in runner.invoke(app, ["audit", "export"]).stdout.splitlines()]
    assert [(e["actor"], e["action"]) for e in exported] == [("cli", "token.create")] * 3
    with sqlite3.connect(env / "sapan.db") as db:
        db.execute("DELETE FROM audit_entry WHERE id = ?", (exported[1]["id"],))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and f"entry {exported[2]['id']}" in result.output


def test_worker_once_runs_the_queued_jobs(env: Path) -> None:
    from sqlalchemy import select

    from sapan.catalog.models import Resource
    from sapan.datastore.models import DatastoreTable

    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0  # queues an ingest per demo upload
    result = runner.invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    services = build_services(Settings())
    with transaction(services.sessions) as session:
        uploads = session.scalars(select(Resource.id).where(Resource.url_type == "upload")).all()
        scanned = [t for t in session.scalars(select(DatastoreTable)) if t.personal_data.get("scanned")]
    services.close()
    # each upload: its ingest and the index job of each table it made
    assert result.output == f"Ran {len(uploads) + len(scanned)} job(s).\n"
    assert {t.resource_id for t in scanned} == set(uploads)
    assert runner.invoke(app, ["worker", "--once"]).output == "Ran 0 job(s).\n"


def flat(result: Result) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_backup_and_restore(
    env: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["user", "add", "somsri", "--sysadmin"]).exit_code == 0
    assert runner.invoke(app, ["partner", "add", "sg", "--country", "SG", "--base-url", "https://data.gov.sg",
                               "--expires", "2030-01-01", "--title", "สิงคโปร์"]).exit_code == 0  # fmt: skip
    result = runner.invoke(app, ["backup", str(env / "no" / "backup.tar")])
    assert result.exit_code == 1 and "no is not a folder; create it first" in flat(result)
    (env / "backups").mkdir()
    result = runner.invoke(app, ["backup", str(env / "backups")])  # a folder: a dated file in it
    assert result.exit_code == 0, result.output
    [made] = (env / "backups").glob("sapan-backup-*.tar")
    assert re.search(r"Backed up \d+ rows in \d+ tables and 0 files \(0 bytes\) to .*\.tar", flat(result))
    result = runner.invoke(app, ["backup", str(made)])
    assert result.exit_code == 1 and "exists already" in flat(result)

    monkeypatch.setenv("SAPAN_HOME", str(tmp_path_factory.mktemp("other")))
    result = runner.invoke(app, ["restore", str(made)])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"Restored \d+ rows in \d+ tables and 0 files \(0 bytes\); 0 datasets indexed", result.output
    )
    assert runner.invoke(app, ["partner", "list"]).stdout.startswith("sg\tSG\t")
    result = runner.invoke(app, ["restore", str(made)])
    assert result.exit_code == 1 and "not empty" in flat(result) and "Traceback" not in flat(result)
    assert runner.invoke(app, ["restore", "--force", str(made)]).exit_code == 0
    result = runner.invoke(app, ["restore", str(env / "nothing.tar")])
    assert result.exit_code == 1 and "nothing.tar: no such file" in flat(result)
