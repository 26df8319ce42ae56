"""Download counts: a file download and a DataStore dump each count once for their resource (a range
that continues a download does not), a failing counter never stops the download, and package_show and
resource_show show them as CKAN's tracking_summary."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sapan.api import downloads
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.datastore.test_ingest import ICU_BEDS, upload


def _published_file(client: TestClient, api: Api, services: Services, sysadmin: str) -> tuple[str, str, str]:
    """A public dataset with one uploaded CSV, ingested: its id, the resource's id, the file's path."""
    ds = api.ok("package_create", sysadmin, name="icu", owner_org="nso", **gdc_dataset())
    res = upload(client, sysadmin, "icu", "icu.csv", ICU_BEDS)
    run_pending(services, handlers())  # scanned for personal data: public from now on
    return ds["id"], res["id"], res["url"].removeprefix("http://testserver")


def _tracking(api: Api, dataset_id: str, resource_id: str) -> tuple[dict[str, int], dict[str, int]]:
    package = api.ok("package_show", id=dataset_id)
    assert (
        package["resources"][0]["tracking_summary"]
        == api.ok("resource_show", id=resource_id)["tracking_summary"]
    )
    return package["tracking_summary"], package["resources"][0]["tracking_summary"]


def test_file_downloads_and_dumps_are_counted_once_each(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    dataset_id, resource_id, path = _published_file(client, api, services, sysadmin)
    assert _tracking(api, dataset_id, resource_id) == ({"total": 0, "recent": 0}, {"total": 0, "recent": 0})

    assert client.get(path).content == ICU_BEDS
    first = client.get(path, headers={"Range": "bytes=0-99"})  # a resumable client's first request
    assert first.status_code == 206
    rest = client.get(path, headers={"Range": "bytes=100-"})  # ... and the rest: the same download
    assert rest.status_code == 206 and first.content + rest.content == ICU_BEDS
    assert client.head(path).status_code == 200  # a HEAD downloads nothing
    assert client.get(path, headers={"If-None-Match": rest.headers["etag"]}).status_code == 304  # nor a 304
    assert client.get(f"/datastore/dump/{resource_id}").status_code == 200
    assert client.get(f"/datastore/dump/{resource_id}", params={"format": "json"}).status_code == 200
    assert client.get("/datastore/dump/nope").status_code == 404

    total, per_resource = _tracking(api, dataset_id, resource_id)
    assert total == per_resource == {"total": 4, "recent": 4}


def test_a_failing_counter_does_not_stop_the_download(
    client: TestClient,
    api: Api,
    services: Services,
    sysadmin: str,
    org: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dataset_id, resource_id, path = _published_file(client, api, services, sysadmin)

    def broken(*_: Any) -> None:
        raise RuntimeError("the counter's table is locked")

    monkeypatch.setattr(downloads, "count_download", broken)
    response = client.get(path)
    assert response.status_code == 200 and response.content == ICU_BEDS
    assert client.get(f"/datastore/dump/{resource_id}").status_code == 200
    assert "could not count a download" in caplog.text
    assert _tracking(api, dataset_id, resource_id)[0] == {"total": 0, "recent": 0}


def test_private_counts_are_only_shown_to_readers(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> None:
    dataset_id, resource_id, path = _published_file(client, api, services, sysadmin)
    client.get(path)
    api.ok("package_patch", sysadmin, id=dataset_id, private=True)
    api.error("package_show", id=dataset_id, status=404)
    api.error("resource_show", id=resource_id, status=404)
    shown = api.ok("package_show", sysadmin, id=dataset_id)
    assert shown["tracking_summary"]["total"] == 1
    api.ok("package_update", sysadmin, **shown)  # a shown dataset, its counts included, can be sent back
