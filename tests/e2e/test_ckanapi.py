"""End to end: `sapan serve` as a real process, driven by the real `ckanapi` client (RemoteCKAN),
on SQLite and on PostgreSQL. The CLI creates the user and token the way an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import httpx
import pytest

from tests.conftest import fresh_database_url, gdc_dataset
from tests.servers import free_port

SAPAN = [sys.executable, "-m", "sapan"]


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*SAPAN, *args], env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the server's own: empty, so `sapan serve` must migrate it."""
    yield from fresh_database_url(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("e2e")
    port = free_port()
    env = {
        **os.environ,
        "SAPAN_HOME": str(home),
        "SAPAN_DATABASE_URL": database,
        "SAPAN_SITE_URL": f"http://127.0.0.1:{port}",
        "SAPAN_MAX_UPLOAD_MB": "2",
    }
    proc = subprocess.Popen(
        [*SAPAN, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):  # the empty database is migrated by `serve` itself
            try:
                if httpx.get(f"{url}/api/3/action/site_read", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            proc.kill()
            pytest.fail(f"sapan serve did not start: {proc.stderr.read() if proc.stderr else ''}")
        _run(
            env,
            "user",
            "add",
            "e2e-admin",
            "--sysadmin",
            "--email",
            "admin@example.go.th",
            "--password",
            "secret-pass",
        )
        token = _run(env, "token", "create", "e2e-admin").strip()
        yield {"url": url, "token": token, "home": home}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_ckanapi_drives_the_full_lifecycle(server: dict[str, Any], tmp_path: Path) -> None:
    ckan = ckanapi.RemoteCKAN(server["url"], apikey=server["token"], user_agent="sapan-e2e")
    org = ckan.action.organization_create(name="mdes", title="กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม")
    assert org["name"] == "mdes"
    ds = ckan.action.package_create(owner_org="mdes", **gdc_dataset(title="สถิติการใช้อินเทอร์เน็ต พ.ศ. 2564"))
    assert ds["name"] == "sathiti-kan-chai-inthoenet-ph-s-2564"
    assert ds["data_category"] == "ข้อมูลสาธารณะ"
    csv = tmp_path / "internet.csv"
    csv.write_text("ปี,ผู้ใช้ (ล้านคน)\n2564,๕๔\n", encoding="utf-8")
    with csv.open("rb") as f:
        res = ckan.action.resource_create(package_id=ds["id"], name="ผู้ใช้อินเทอร์เน็ต", upload=f)
    assert res["url_type"] == "upload" and res["size"] == csv.stat().st_size
    assert httpx.get(res["url"], headers={"Authorization": server["token"]}).content == csv.read_bytes()
    for _ in range(200):  # the server's own worker makes the table, then scans it for personal data
        info = ckan.action.datastore_info(id=res["id"])
        if info["q_index"]["ready"] or info["ingest"]["job"]["state"] == "failed":
            break
        time.sleep(0.1)
    assert info["ingest"]["job"]["state"] == "done" and info["q_index"]["ready"], info
    assert httpx.get(res["url"]).content == csv.read_bytes()  # public once scanned
    assert ckan.action.datastore_search(resource_id=res["id"])["records"][0]["ผู้ใช้ (ล้านคน)"] == 54
    shown = ckan.action.package_show(id=ds["name"])
    assert shown["num_resources"] == 1 and shown["objective"] == ["เพื่อการให้บริการประชาชน"]
    patched = ckan.action.package_patch(id=ds["id"], geo_coverage="จังหวัด")
    assert patched["geo_coverage"] == "จังหวัด" and patched["resources"][0]["id"] == res["id"]
    found = ckan.action.package_search(q="อินเทอร์เน็ต")
    assert [d["id"] for d in found["results"]] == [ds["id"]]
    ckan.action.package_delete(id=ds["id"])
    with pytest.raises(ckanapi.NotFound):
        ckanapi.RemoteCKAN(server["url"], user_agent="sapan-e2e").action.package_show(id=ds["id"])


def test_ckanapi_sees_ckan_error_types(server: dict[str, Any]) -> None:
    ckan = ckanapi.RemoteCKAN(server["url"], apikey=server["token"], user_agent="sapan-e2e")
    anonymous = ckanapi.RemoteCKAN(server["url"], user_agent="sapan-e2e")
    ckan.action.organization_create(name="dga-e2e", title="สำนักงานพัฒนารัฐบาลดิจิทัล")
    with pytest.raises(ckanapi.ValidationError) as bad:
        ckan.action.package_create(
            name="Not A Slug", owner_org="dga-e2e", **gdc_dataset(data_category="อะไรก็ได้")
        )
    assert {"name", "data_category"} <= set(bad.value.error_dict)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_create(name="nope", owner_org="dga-e2e", **gdc_dataset())
    ckan.action.package_create(name="private-e2e", owner_org="dga-e2e", private=True, **gdc_dataset())
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_show(id="private-e2e")
    assert ckan.action.package_show(id="private-e2e")["private"] is True
