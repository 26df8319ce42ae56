"""`sapan doctor` on a good deployment (exit 0) and on broken ones (exit 1, the problem named with its
fix), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sapan.cli import app
from sapan.cli_doctor import redis_check
from sapan.db import upgrade
from tests.conftest import postgres_schema_url
from tests.servers import free_port

KEY = "0123456789abcdef0123456789abcdef"


def doctor(*args: str) -> Result:
    return CliRunner().invoke(app, ["doctor", *args])


def lines(result: Result) -> dict[str, str]:
    """{check name: its line} (the first line of each name)."""
    found: dict[str, str] = {}
    for line in result.output.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            found.setdefault(parts[1], line)
    return found


def test_a_good_sqlite_setup_passes(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPAN_SECRET_KEY", KEY)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    result = doctor()
    assert result.exit_code == 0, result.output
    checks = lines(result)
    for name in ("settings", "database", "schema", "queue", "storage", "secret", "site_url", "disk"):
        assert checks[name].startswith("ok "), result.output
    assert "fail" not in result.output and KEY not in result.output
    assert not list((env / "files").rglob("*sapan-doctor*"))  # the probe is gone


def test_no_database_yet_is_named_with_its_fix(env: Path) -> None:
    result = doctor()
    assert result.exit_code == 1
    assert lines(result)["database"].startswith("fail database   no database at")
    assert "run `sapan init`" in result.output
    assert not (env / "sapan.db").exists()  # the doctor made no empty database


def test_an_unreachable_database_fails_without_showing_its_password(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "never-printed-pw-77"
    monkeypatch.setenv(
        "SAPAN_DATABASE_URL", f"postgresql+psycopg://sapan:{password}@127.0.0.1:{free_port()}/db"
    )
    result = doctor()
    assert result.exit_code == 1
    line = lines(result)["database"]
    assert line.startswith("fail database") and "OperationalError" in line and "is the server running" in line
    assert password not in result.output and "schema" not in lines(result)


def test_an_old_schema_is_named_with_its_fix(env: Path) -> None:
    from alembic.script import ScriptDirectory

    from sapan.db import alembic_config

    url = f"sqlite:///{env / 'sapan.db'}"
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    upgrade(url, "0012")
    result = doctor()
    assert result.exit_code == 1
    assert (
        f"fail schema     the database is at 0012; this Sapan needs {head} -> run `sapan db upgrade`"
        in result.output
    )


def test_storage_that_cannot_be_written_fails(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    (env / "not-a-folder").write_text("a file where the storage folder should be")
    monkeypatch.setenv("SAPAN_STORAGE_URL", str(env / "not-a-folder"))
    result = doctor()
    assert result.exit_code == 1
    assert lines(result)["storage"].startswith(f"fail storage    {env / 'not-a-folder'}: ")
    assert "SAPAN_STORAGE_URL" in lines(result)["storage"]


def test_an_invalid_setting_is_named(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAPAN_LOG_LEVEL", "loud")
    result = doctor()
    assert result.exit_code == 1
    assert lines(result)["settings"].startswith("fail settings") and "log_level" in result.output


def test_sqlite_with_several_workers_warns(env: Path) -> None:
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    result = doctor("--workers", "4")
    assert result.exit_code == 0, result.output  # warnings do not fail
    checks = lines(result)
    assert checks["workers"].startswith("warn workers    SQLite with 4 web processes")
    assert checks["secret"].startswith("warn secret") and "SAPAN_SECRET_KEY" in checks["secret"]
    assert checks["site_url"].startswith("warn site_url")
    assert checks["metrics"].startswith("warn metrics") and "PROMETHEUS_MULTIPROC_DIR" in checks["metrics"]


@pytest.fixture()
def postgres(env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for url in postgres_schema_url():
        upgrade(url)
        monkeypatch.setenv("SAPAN_DATABASE_URL", url)
        yield url


def test_a_postgresql_deployment(postgres: str, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (env / "secret.key").write_text(KEY)
    monkeypatch.setenv("SAPAN_SITE_URL", "https://data.example.go.th")
    result = doctor()
    assert result.exit_code == 0, result.output
    checks = lines(result)
    assert checks["database"].startswith("ok   database   postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert checks["schema"].startswith("ok   schema")
    assert checks["secret"].startswith(f"warn secret     the secret key is only in {env / 'secret.key'}")
    assert checks["worker"].startswith("info worker")  # the embedded worker is on
    assert checks["site_url"].startswith("ok ")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(env / "no-such-folder"))
    result = doctor()
    assert result.exit_code == 1
    assert lines(result)["metrics"].startswith("fail metrics    PROMETHEUS_MULTIPROC_DIR=")


def test_redis_is_pinged() -> None:
    assert redis_check("SAPAN_X", "redis://127.0.0.1:6379/0").status == "ok"
    down = redis_check("SAPAN_X", f"redis://:pw-123456@127.0.0.1:{free_port()}/0")
    assert down.status == "fail" and "pw-123456" not in down.detail and "SAPAN_X" in down.detail
