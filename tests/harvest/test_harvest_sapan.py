"""Sapan harvests Sapan: a "th" node served by uvicorn on 127.0.0.1 is a CKAN source for the node
under test (SQLite and PostgreSQL); and Sapan's own DCAT catalogue re-imports unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.harvest.harvesting import add_source, run
from tests.harvest.nodes import Node, sapan_node


@pytest.fixture()
def th(tmp_path: Path) -> Iterator[Node]:
    with sapan_node(tmp_path / "th") as node:
        node.api.ok("organization_create", node.token, name="nso", title="สำนักงานสถิติแห่งชาติ")
        yield node


def publish(node: Node, name: str, title: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = node.api.ok(
        "package_create", node.token, **gdc_dataset(name=name, title=title, owner_org="nso", **fields)
    )
    return result


def test_public_datasets_of_another_sapan_arrive_and_follow_its_changes(
    api: Api, sysadmin: str, services: Services, th: Node
) -> None:
    debt = publish(
        th,
        "household-debt",
        "หนี้สินครัวเรือน",
        resources=[{"name": "ตาราง", "url": "https://example.go.th/debt.csv", "format": "CSV"}],
    )
    publish(th, "internal-budget", "งบประมาณภายใน", private=True)
    publish(
        th, "confidential-list", "รายชื่อลับ", private=True,
        data_category="ข้อมูลความมั่นคง", data_classification="ลับ",
    )  # fmt: skip
    source = add_source(api, sysadmin, th.url, "ckan", name="th-node", api_token="")
    job = run(api, sysadmin, services, source["id"])
    assert job["status"] == "Finished", job
    assert job["stats"]["added"] == 1, job
    ds = api.ok("package_show", id="household-debt")
    assert ds["id"] == debt["id"]
    assert ds["title"] == "หนี้สินครัวเรือน"
    assert ds["data_classification"] == "เปิดเผย" and ds["license_id"] == "cc-by"
    assert ds["organization"]["title"] == "สำนักงานสถิติแห่งชาติ"
    assert ds["resources"][0]["url"] == "https://example.go.th/debt.csv"
    assert api.ok("package_search", q="หนี้สิน")["results"][0]["id"] == debt["id"]
    for name in ("internal-budget", "confidential-list"):
        api.error("package_show", sysadmin, id=name, status=404)

    assert run(api, sysadmin, services, source["id"])["stats"]["not modified"] == 1
    th.api.ok("package_patch", th.token, id=debt["id"], title="หนี้สินครัวเรือน พ.ศ. 2566")
    assert run(api, sysadmin, services, source["id"])["stats"]["updated"] == 1
    assert api.ok("package_show", id="household-debt")["title"] == "หนี้สินครัวเรือน พ.ศ. 2566"

    th.api.ok("package_delete", th.token, id=debt["id"])
    assert run(api, sysadmin, services, source["id"])["stats"]["deleted"] == 1
    api.error("package_show", id="household-debt", status=404)

    answer = api.client.post(
        "/api/3/action/audit_list", json={"action": "harvest.transfer"}, headers={"Authorization": sysadmin}
    )
    entries = answer.json()["result"]
    assert entries[-1]["details"]["created"] == [debt["id"]]
    assert entries[0]["details"]["deleted"] == [debt["id"]]
    assert entries[0]["details"]["partner_url"] == th.url
    assert all(e["details"]["bytes"] > 0 for e in entries)


def test_an_api_token_from_the_config_is_sent(api: Api, sysadmin: str, services: Services, th: Node) -> None:
    """With a sysadmin's token the source shows its private datasets too; they still never arrive."""
    publish(th, "internal-budget", "งบประมาณภายใน", private=True)
    source = add_source(api, sysadmin, th.url, "ckan", api_token=th.token)
    job = run(api, sysadmin, services, source["id"])
    assert job["stats"]["added"] == 0
    assert api.ok("harvest_source_show", sysadmin, id=source["id"])["config"].count("***") == 1


@pytest.mark.parametrize("extension", ["ttl", "jsonld", "rdf"])
def test_sapans_own_dcat_catalogue_reimports_unchanged(
    api: Api, sysadmin: str, services: Services, th: Node, extension: str
) -> None:
    original = publish(
        th, "household-debt", "หนี้สินครัวเรือน",
        resources=[{"name": "ตาราง", "url": "https://example.go.th/debt.csv", "format": "CSV"}],
        first_year_of_data="2560", last_year_of_data="2566", data_language=["ไทย", "อังกฤษ"],
    )  # fmt: skip
    source = add_source(api, sysadmin, f"{th.url}/catalog.{extension}", "dcat")
    job = run(api, sysadmin, services, source["id"])
    assert job["stats"]["added"] == 1, job
    copy = api.ok("package_show", id=original["id"])
    for key in ("title", "notes", "license_id", "maintainer", "maintainer_email", "data_category",
                "data_classification", "data_type", "geo_coverage", "data_source", "update_frequency_unit",
                "update_frequency_interval", "first_year_of_data", "last_year_of_data"):  # fmt: skip
        assert copy[key] == original[key], key
    for key in ("objective", "data_format", "data_language"):
        assert sorted(copy[key]) == sorted(original[key]), key
    assert {t["name"] for t in copy["tags"]} == {t["name"] for t in original["tags"]}
    assert copy["organization"]["title"] == original["organization"]["title"]
    [res], [res0] = copy["resources"], original["resources"]
    assert (res["id"], res["name"], res["url"], res["format"]) == (
        res0["id"],
        res0["name"],
        res0["url"],
        res0["format"],
    )
    assert run(api, sysadmin, services, source["id"])["stats"]["not modified"] == 1


def test_hydra_pages_are_followed(api: Api, sysadmin: str, services: Services, th: Node) -> None:
    for n in range(5):
        publish(th, f"dataset-{n}", f"ชุดข้อมูลที่ {n}")
    source = add_source(api, sysadmin, f"{th.url}/catalog.ttl", "dcat")
    th_settings = th.services.settings
    object.__setattr__(th_settings, "dcat_page_size", 2)  # three pages
    job = run(api, sysadmin, services, source["id"])
    assert job["stats"]["added"] == 5, job
