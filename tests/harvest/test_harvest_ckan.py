"""Harvesting a CKAN source in the exact shape of data.go.th's Action API (a real package_search
answer, trimmed to three resources), served by a local HTTP server."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from sapan.db import transaction
from sapan.search.models import SearchVector
from sapan.services import Services
from tests.conftest import Api
from tests.harvest.harvesting import add_source, run
from tests.harvest.remote import Answer, Remote, as_json, fixture

COVID_ID = "8a956917-436d-4afd-a2d4-59e4dd8e906e"


class DataGoTh:
    """data.go.th's package_search and package_list, over a list of packages we can change."""

    def __init__(self, remote: Remote) -> None:
        self.envelope = fixture("datagoth_package_search.json")
        self.packages: list[dict[str, Any]] = self.envelope["result"]["results"]
        self.searches: list[dict[str, str]] = []
        remote.routes["/api/3/action/package_search"] = self.search
        remote.routes["/api/3/action/package_list"] = self.names

    def search(self, query: dict[str, str]) -> Answer:
        self.searches.append(query)
        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        body = copy.deepcopy(self.envelope)
        body["result"]["count"] = len(self.packages)
        body["result"]["results"] = self.packages[start : start + rows]
        return as_json(body)

    def names(self, query: dict[str, str]) -> Answer:
        return as_json({"help": "", "success": True, "result": [p["name"] for p in self.packages]})


@pytest.fixture()
def remote() -> Iterator[Remote]:
    server = Remote()
    yield server
    server.close()


@pytest.fixture()
def datagoth(remote: Remote) -> DataGoTh:
    return DataGoTh(remote)


def test_a_datagoth_dataset_arrives_with_thai_metadata_and_provenance(
    api: Api, sysadmin: str, services: Services, remote: Remote, datagoth: DataGoTh
) -> None:
    source = add_source(api, sysadmin, remote.url, "ckan", name="data-go-th", title="data.go.th")
    job = run(api, sysadmin, services, source["id"])
    assert job["status"] == "Finished", job
    assert job["stats"]["added"] == 1
    # data.go.th's high_value_dataset "1" is not one of the profile's choices: dropped, and said so
    assert job["report"] == [
        {"remote_id": COVID_ID, "dataset_id": COVID_ID, "action": "created",
         "reason": "high_value_dataset: Unexpected choice: 1"},
    ]  # fmt: skip
    ds = api.ok("package_show", id="covid-19-daily")
    assert ds["id"] == COVID_ID  # the source's id is kept when free
    assert ds["title"] == "รายงาน COVID-19 ประจำวัน ข้อมูลประจำประเทศไทย"
    assert "กรมควบคุมโรค" in ds["notes"]
    assert ds["organization"]["title"] == "กรมควบคุมโรค"
    assert ds["data_category"] == "ข้อมูลสาธารณะ"
    assert ds["update_frequency_unit"] == "วัน"
    assert ds["maintainer_email"] == "satcovid1@ddc.mail.go.th"
    assert {t["name"] for t in ds["tags"]} >= {"COVID-19"} or ds["tags"]
    assert len(ds["resources"]) == 3
    assert ds["resources"][1]["name"].startswith("รายงานจำนวนผู้ติดเชื้อ")
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["harvest_source_id"] == source["id"]
    assert extras["harvest_source_title"] == "data.go.th"
    assert extras["harvest_original_url"] == f"{remote.url}/dataset/covid-19-daily"
    assert extras["harvest_original_id"] == COVID_ID
    assert extras["maintain_frequent"] == "รายวัน"  # the source's own extras travel too
    assert ds["license_id"]  # data.go.th's licence, kept
    found = api.ok("package_search", q="โควิด COVID-19")
    assert found["count"] == 1
    with transaction(services.sessions) as session:  # encoded by the search_vectors job after the run
        assert session.get(SearchVector, COVID_ID) is not None
    shown = api.ok("harvest_source_show", sysadmin, id=source["id"])
    assert shown["status"]["job_count"] == 1
    assert shown["status"]["last_job"]["status"] == "Finished"
    assert shown["status"]["total_datasets"] == 1


def test_a_second_run_changes_nothing_then_updates_and_deletions_propagate(
    api: Api, sysadmin: str, services: Services, remote: Remote, datagoth: DataGoTh
) -> None:
    source = add_source(api, sysadmin, remote.url, "ckan")
    run(api, sysadmin, services, source["id"])
    before = api.ok("package_show", id=COVID_ID)
    second = run(api, sysadmin, services, source["id"])
    assert second["stats"] == {
        "added": 0,
        "updated": 0,
        "deleted": 0,
        "errored": 0,
        "not modified": 1,
        "skipped": 0,
    }
    assert "metadata_modified:[" in datagoth.searches[-1]["fq"]  # incremental, as ckanext-harvest asks
    assert api.ok("package_show", id=COVID_ID)["metadata_modified"] == before["metadata_modified"]

    datagoth.packages[0]["title"] = "รายงาน COVID-19 ประจำวัน (ปรับปรุง)"
    datagoth.packages[0]["metadata_modified"] = "2099-01-01T00:00:00"
    third = run(api, sysadmin, services, source["id"])
    assert third["stats"]["updated"] == 1
    assert api.ok("package_show", id=COVID_ID)["title"] == "รายงาน COVID-19 ประจำวัน (ปรับปรุง)"

    datagoth.packages.clear()
    fourth = run(api, sysadmin, services, source["id"])
    assert fourth["stats"]["deleted"] == 1
    assert api.error("package_show", id=COVID_ID, status=404)
    assert api.ok("package_search", q="COVID")["count"] == 0


def test_private_and_classified_datasets_never_arrive(
    api: Api, sysadmin: str, services: Services, remote: Remote, datagoth: DataGoTh
) -> None:
    public = datagoth.packages[0]
    private = {
        **copy.deepcopy(public),
        "id": "11111111-1111-1111-1111-111111111111",
        "name": "private-one",
        "private": True,
    }
    secret = {
        **copy.deepcopy(public), "id": "22222222-2222-2222-2222-222222222222", "name": "secret-one",
        "data_category": "ข้อมูลความมั่นคง", "data_classification": "ลับ",
    }  # fmt: skip
    datagoth.packages += [private, secret]
    source = add_source(api, sysadmin, remote.url, "ckan")
    job = run(api, sysadmin, services, source["id"])
    assert job["stats"]["added"] == 1 and job["stats"]["skipped"] == 2
    reasons = {e["remote_id"]: e["reason"] for e in job["report"] if e["action"] == "skipped"}
    assert reasons[private["id"]] == "private at the source"
    assert "is not public" in reasons[secret["id"]]
    for name in ("private-one", "secret-one"):
        api.error("package_show", sysadmin, id=name, status=404)


def test_a_name_taken_here_gets_the_source_prefix(
    api: Api, sysadmin: str, services: Services, remote: Remote, datagoth: DataGoTh, org: dict[str, Any]
) -> None:
    from tests.conftest import gdc_dataset

    api.ok("package_create", sysadmin, **gdc_dataset(name="covid-19-daily", owner_org=org["id"]))
    source = add_source(api, sysadmin, remote.url, "ckan", name="th", name_prefix="datagoth")
    run(api, sysadmin, services, source["id"])
    harvested = api.ok("package_show", id="datagoth-covid-19-daily")
    assert harvested["title"].startswith("รายงาน COVID-19")


@pytest.mark.parametrize("mode", ["error", "slow", "malformed"])
def test_a_failing_source_fails_the_run_and_changes_nothing(
    api: Api, sysadmin: str, services: Services, remote: Remote, datagoth: DataGoTh, mode: str
) -> None:
    source = add_source(api, sysadmin, remote.url, "ckan")
    run(api, sysadmin, services, source["id"])
    before = api.ok("package_show", id=COVID_ID)
    datagoth.packages.clear()  # were the source readable, this would delete the dataset
    remote.mode = mode
    job = run(api, sysadmin, services, source["id"])
    assert job["status"] == "Failed"
    assert job["report"][0]["action"] == "failed"
    expected = {"error": "HTTP 500", "slow": "did not answer within", "malformed": "malformed JSON"}[mode]
    assert expected in job["error"]
    assert api.ok("package_show", id=COVID_ID) == before
    shown = api.ok("harvest_source_show", sysadmin, id=source["id"])
    assert shown["status"]["last_job"]["status"] == "Failed"
    answer = api.client.post(
        "/api/3/action/audit_list", json={"action": "harvest.transfer"}, headers={"Authorization": sysadmin}
    )
    assert answer.json()["result"][0]["details"]["failed"] == job["error"][:500]


def test_filters_keep_to_the_listed_organizations(
    api: Api, sysadmin: str, services: Services, remote: Remote, datagoth: DataGoTh
) -> None:
    source = add_source(api, sysadmin, remote.url, "ckan", organizations=["nso"])
    job = run(api, sysadmin, services, source["id"])
    assert "organization:nso" in datagoth.searches[0]["fq"]
    assert job["stats"]["added"] == 0  # the server ignores fq; the run filters too
