"""compose.yaml and the Dockerfile run what the tests run: every setting they (and docs/deploy.md) name
exists, every command they start parses, and the compose file's own environment, pointed at this
machine's PostgreSQL, an S3-compatible server and Redis, migrates, passes `sapan doctor`, and serves an
upload through a separate worker into a queryable table."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import yaml

from sapan.cli import app
from sapan.config import Settings
from tests.api.test_rate_limits import redis_prefix  # noqa: F401 - Redis on 127.0.0.1 (required in CI)
from tests.conftest import fresh_database_url
from tests.servers import free_port
from tests.storage.conftest import S3, s3  # noqa: F401 - the moto server fixture

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def sapan_commands() -> list[list[str]]:
    """The `sapan …` command lines compose.yaml and the Dockerfile start."""
    found = [s["command"] for s in COMPOSE["services"].values() if s.get("command", [None])[0] == "sapan"]
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M)
    assert cmd is not None
    found.append(yaml.safe_load(cmd.group(1)))
    return found


def test_every_setting_named_for_production_exists() -> None:
    text = "\n".join(
        [(ROOT / "compose.yaml").read_text(), DOCKERFILE, (ROOT / "docs" / "deploy.md").read_text()]
    )
    named = set(re.findall(r"\bSAPAN_([A-Z_]+[A-Z])\b", text))
    assert len(named) >= 15
    assert sorted(n for n in named if n.lower() not in Settings.model_fields) == []


def test_every_command_parses() -> None:
    commands = sapan_commands()
    assert {c[1] for c in commands} >= {"serve", "worker", "db"}
    group = typer.main.get_command(app)
    for command in commands:
        ctx_command, args = group, command[1:]
        while args and hasattr(ctx_command, "commands") and args[0] in ctx_command.commands:  # type: ignore[attr-defined]
            ctx_command, args = ctx_command.commands[args[0]], args[1:]  # type: ignore[attr-defined]
        ctx_command.make_context(command[0], list(args))  # raises on an unknown option or command


def compose_environment(
    s3: S3,  # noqa: F811
    database_url: str,
    port: int,
    home: Path,
    redis_prefix: str,  # noqa: F811
) -> dict[str, str]:
    """compose.yaml's environment for web and worker, its hosts replaced by this machine's services."""
    env = {k: str(v) for k, v in COMPOSE["x-sapan"]["environment"].items()}
    here = {
        "SAPAN_DATABASE_URL": database_url,
        "SAPAN_STORAGE_URL": f"s3://{s3.bucket}/compose-{uuid.uuid4().hex[:8]}",
        "SAPAN_STORAGE_ENDPOINT_URL": s3.endpoint,
        "SAPAN_STORAGE_ACCESS_KEY": "sapan-test",
        "SAPAN_STORAGE_SECRET_KEY": "sapan-test-secret",
        "SAPAN_SECRET_KEY": uuid.uuid4().hex * 2,
        "SAPAN_SITE_URL": f"http://127.0.0.1:{port}",
        "SAPAN_RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0",
        "SAPAN_RATE_LIMIT_KEY_PREFIX": redis_prefix,
        "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"),
        "SAPAN_HOME": str(home),
    }
    (home / "metrics").mkdir()
    assert set(here) - {"SAPAN_RATE_LIMIT_KEY_PREFIX", "SAPAN_HOME"} <= set(env)  # each replaces one
    assert env["SAPAN_EMBEDDED_WORKER"] == "false"  # so the worker below is the one that ingests
    return {**os.environ, **env, **here}


@pytest.fixture()
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url("postgresql", tmp_path_factory)


def sapan(*args: str) -> list[str]:
    return [sys.executable, "-m", "sapan", *args]


def test_the_compose_configuration_serves_an_upload_through_a_worker(
    s3: S3,  # noqa: F811
    postgres_url: str,
    tmp_path: Path,
    redis_prefix: str,  # noqa: F811
) -> None:
    port = free_port()
    env = compose_environment(s3, postgres_url, port, tmp_path, redis_prefix)
    commands = {c[1]: c for c in sapan_commands()}
    migrate = subprocess.run(sapan(*commands["db"][1:]), env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    doctor = subprocess.run(sapan("doctor"), env=env, capture_output=True, text=True, timeout=120)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "fail" not in doctor.stdout
    user = subprocess.run(
        sapan("user", "add", "admin", "--sysadmin", "--password", "รหัสผ่านยาวพอ-2567"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert user.returncode == 0, user.stderr
    token = (
        subprocess.run(
            sapan("token", "create", "admin"), env=env, capture_output=True, text=True, timeout=120
        )
        .stdout.strip()
        .split()[-1]
    )
    serve = [*commands["serve"][1:]]
    serve[serve.index("--port") + 1] = str(port)
    serve[serve.index("--host") + 1] = "127.0.0.1"
    processes = [
        subprocess.Popen(
            sapan(*serve), env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "web.log").open("w")
        ),
        subprocess.Popen(
            sapan("worker"), env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "worker.log").open("w")
        ),
    ]
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, headers={"Authorization": token}) as http:
            wait_ready(http, tmp_path / "web.log")
            csv = "จังหวัด,จำนวนเตียง\nเชียงใหม่,๑๒\nขอนแก่น,9\n".encode("cp874")
            resource = upload(http, csv)
            assert wait_ingested(http, resource["id"]) == "done"
            rows = ok(http.get("/api/3/action/datastore_search", params={"resource_id": resource["id"]}))
            assert [r["จังหวัด"] for r in rows["records"]] == ["เชียงใหม่", "ขอนแก่น"]
            assert http.get(resource["url"]).content == csv  # the original, from the bucket
            assert http.get("/readyz").status_code == 200
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)
    assert [p.returncode for p in processes] == [0, 0]  # both stop cleanly on SIGTERM


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["result"]


def wait_ready(http: httpx.Client, log: Path) -> None:
    last = ""
    for _ in range(300):
        try:
            answer = http.get("/readyz")
            if answer.status_code == 200:
                return
            last = answer.text
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise AssertionError(f"the web processes did not become ready: {last} {log.read_text()[-3000:]}")


def upload(http: httpx.Client, csv: bytes) -> dict[str, Any]:
    from tests.conftest import gdc_dataset

    ok(http.post("/api/3/action/organization_create", json={"name": "moph", "title": "กระทรวงสาธารณสุข"}))
    ok(http.post("/api/3/action/package_create", json={"name": "beds", "owner_org": "moph", **gdc_dataset()}))
    return ok(  # type: ignore[no-any-return]
        http.post(
            "/api/3/action/resource_create",
            data={"package_id": "beds", "name": "เตียง"},
            files={"upload": ("beds.csv", csv, "text/csv")},
        )
    )


def wait_ingested(http: httpx.Client, resource_id: str) -> str:
    for _ in range(600):
        info = ok(http.get("/api/3/action/datastore_info", params={"id": resource_id}))
        state = str(info["ingest"]["job"]["state"])
        if state in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError("the worker did not ingest the upload")
