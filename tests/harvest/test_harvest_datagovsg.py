"""Harvesting data.gov.sg's v2 API: real dataset and collection records (SingStat's) served in the
API's envelope by a local server, with each dataset's metadata and its columnMetadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sapan.services import Services
from tests.conftest import Api
from tests.harvest.harvesting import add_source, run
from tests.harvest.remote import Answer, Remote, as_json, fixture

COLUMNS = {
    "order": ["c_1", "c_2"],
    "map": {"c_1": "quarter", "c_2": "value"},
    "metaMapping": {
        "c_1": {"name": "quarter", "columnTitle": "Quarter", "dataType": "text", "index": "0"},
        "c_2": {"name": "value", "columnTitle": "Value", "dataType": "numeric", "index": "1"},
    },
}


class DataGovSg:
    def __init__(self, remote: Remote) -> None:
        self.datasets: list[dict[str, Any]] = fixture("datagovsg_datasets.json")
        self.collections: list[dict[str, Any]] = fixture("datagovsg_collections.json")
        remote.routes["/v2/public/api/datasets"] = self.listing("datasets", lambda: self.datasets)
        remote.routes["/v2/public/api/collections"] = self.listing("collections", lambda: self.collections)
        for ds in self.datasets:
            remote.routes[f"/v2/public/api/datasets/{ds['datasetId']}/metadata"] = self.metadata(
                ds["datasetId"]
            )

    def listing(self, key: str, items: Any) -> Any:
        def answer(query: dict[str, str]) -> Answer:
            page, size = int(query.get("page", 1)), 2  # two per page: paging is exercised
            chunk = items()[(page - 1) * size : page * size]
            pages = max(1, -(-len(items()) // size))
            return as_json({"code": 0, "data": {key: chunk, "pages": pages}, "errorMsg": ""})

        return answer

    def metadata(self, dataset_id: str) -> Any:
        def answer(query: dict[str, str]) -> Answer:
            ds = next(d for d in self.datasets if d["datasetId"] == dataset_id)
            body = {k: v for k, v in ds.items() if k not in ("apiCallCount", "userId", "ingestedBefore")}
            body["collectionIds"] = [
                c["collectionId"] for c in self.collections if dataset_id in c["childDatasets"]
            ]
            body["columnMetadata"] = COLUMNS
            body["datasetSize"] = 4096
            return as_json({"code": 0, "data": body, "errorMsg": ""})

        return answer


@pytest.fixture()
def remote() -> Iterator[Remote]:
    server = Remote()
    yield server
    server.close()


def test_datagovsg_datasets_arrive_with_their_collection_and_columns(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    sg = DataGovSg(remote)
    source = add_source(api, sysadmin, remote.url, "datagovsg", name="data-gov-sg")
    job = run(api, sysadmin, services, source["id"])
    assert job["status"] == "Finished" and job["stats"]["added"] == 3, job
    first = sg.datasets[0]
    found = api.ok("package_search", q="Liquefied Petroleum Gas")["results"]
    assert [d["title"] for d in found] == [first["name"]]
    ds = found[0]
    assert ds["organization"]["title"] == "Singapore Department of Statistics"
    assert ds["license_id"] == "sg-odl"
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["datagovsg_dataset_id"] == first["datasetId"]
    assert (
        extras["frequency"]
        == next(c for c in sg.collections if first["datasetId"] in c["childDatasets"])["frequency"]
    )
    [res] = ds["resources"]
    assert res["format"] == "CSV"
    assert res["url"] == f"{remote.url}/api/action/datastore_search?resource_id={first['datasetId']}"
    assert "Quarter" in res["description"] and '"numeric"' in res["columns"]
    assert run(api, sysadmin, services, source["id"])["stats"]["not modified"] == 3

    sg.datasets[0] = {**first, "name": "LPG Sales, Quarterly", "lastUpdatedAt": "2099-01-01T00:00:00+08:00"}
    sg.datasets.pop()
    third = run(api, sysadmin, services, source["id"])
    assert (third["stats"]["updated"], third["stats"]["deleted"]) == (1, 1), third
    assert api.ok("package_search", q="LPG")["results"][0]["title"] == "LPG Sales, Quarterly"


def test_an_answer_with_an_error_code_fails_the_run(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    remote.routes["/v2/public/api/datasets"] = lambda q: as_json(
        {"code": 1, "data": None, "errorMsg": "rate limited"}
    )
    job = run(api, sysadmin, services, add_source(api, sysadmin, remote.url, "datagovsg")["id"])
    assert job["status"] == "Failed" and "rate limited" in job["error"]
