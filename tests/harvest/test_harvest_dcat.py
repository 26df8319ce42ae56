"""Harvesting DCAT catalogues: SEMIC's official DCAT-AP examples (Turtle and JSON-LD), catalogues in
ckanext-dcat's shapes (RDF/XML with hydra:nextPage paging, Turtle), and malformed RDF."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sapan.services import Services
from tests.conftest import Api
from tests.harvest.harvesting import add_source, run
from tests.harvest.remote import FIXTURES, Remote


@pytest.fixture()
def remote() -> Iterator[Remote]:
    server = Remote()
    yield server
    server.close()


def serve(remote: Remote, path: str, body: bytes, kind: str = "text/turtle") -> str:
    remote.routes[path] = lambda query: (200, body, kind)
    return remote.url + path


def test_semic_dcat_ap_examples_import(api: Api, sysadmin: str, services: Services, remote: Remote) -> None:
    for n, name in enumerate(["example-bee-population.ttl", "example-ms_dataset_2_distributions.ttl"]):
        url = serve(remote, f"/{name}", (FIXTURES / name).read_bytes())
        source = add_source(api, sysadmin, url, "dcat", name=f"semic-{n}")
        job = run(api, sysadmin, services, source["id"])
        assert job["status"] == "Finished" and job["stats"]["added"] == 1, job["report"]
    bees = api.ok("package_show", id="the-population-of-bees")
    assert bees["notes"].startswith("This dataset provides the population of bees")
    assert sorted(r["format"] for r in bees["resources"]) == ["RDF_TURTLE", "SHP"]
    extras = {e["key"]: e["value"] for e in bees["extras"]}
    assert extras["harvest_original_id"] == "https://data.exampleMS.gov/id/dataset/1T2p3o4B"
    assert api.ok("package_show", id="bee-population")["notes"] == "A dataset about bee population in Greece"


def test_a_semic_dataset_series_example_imports(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    url = serve(remote, "/bees.ttl", (FIXTURES / "example-bee-population-2022-2023.ttl").read_bytes())
    job = run(api, sysadmin, services, add_source(api, sysadmin, url, "dcat")["id"])
    assert job["stats"]["added"] == 2, job["report"]
    titles = sorted(d["title"] for d in api.ok("package_search", rows=10)["results"])
    assert titles == ["Bee population 2022", "Bee population 2023"]


def test_a_ckanext_dcat_shaped_catalogue_with_hydra_next_pages(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    page1 = (
        (FIXTURES / "ckan-dcat-shaped.rdf").read_text().replace("PAGE2", f"{remote.url}/catalog.ttl?page=2")
    )
    serve(remote, "/catalog.xml", page1.encode(), "application/rdf+xml")
    serve(remote, "/catalog.ttl", (FIXTURES / "ckan-dcat-shaped-2.ttl").read_bytes())
    source = add_source(api, sysadmin, f"{remote.url}/catalog.xml", "dcat")
    job = run(api, sysadmin, services, source["id"])
    assert job["stats"]["added"] == 2, job
    rain = api.ok("package_show", id="0b8d0f0e-7a0f-4b8e-9a53-2f3c6f0e9d11")
    assert rain["title"] == "ปริมาณน้ำฝนรายเดือน พ.ศ. 2566"
    assert {t["name"] for t in rain["tags"]} == {"น้ำฝน", "อุตุนิยมวิทยา"}
    assert rain["organization"]["title"] == "กรมอุตุนิยมวิทยา"
    assert (rain["maintainer"], rain["maintainer_email"]) == ("ศูนย์ข้อมูลภูมิอากาศ", "climate@tmd.example.go.th")
    assert rain["resources"][0]["format"] == "CSV"
    stations = api.ok("package_search", q="สถานีวัดน้ำฝน")["results"][0]
    assert stations["title"] == "สถานีวัดน้ำฝน"  # the Thai title wins over the English one
    assert stations["license_id"] == "cc-by"  # opendefinition's URL is a licence Sapan knows
    assert stations["resources"][0]["format"] == "GEOJSON"
    assert run(api, sysadmin, services, source["id"])["stats"]["not modified"] == 2


@pytest.mark.parametrize(
    "broken",
    [
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; <b",
        b'{"@graph": [',
        b"<rdf:RDF><oops",
    ],
)
def test_malformed_rdf_fails_the_run_and_changes_nothing(
    api: Api, sysadmin: str, services: Services, remote: Remote, broken: bytes
) -> None:
    name = "example-bee-population.ttl"
    serve(remote, "/catalog", (FIXTURES / name).read_bytes())
    source = add_source(api, sysadmin, f"{remote.url}/catalog", "dcat")
    run(api, sysadmin, services, source["id"])
    before = api.ok("package_search", q="Bee")["results"]
    serve(remote, "/catalog", broken)
    job = run(api, sysadmin, services, source["id"])
    assert job["status"] == "Failed"
    assert "malformed RDF" in job["error"]
    assert api.ok("package_search", q="Bee")["results"] == before


def test_fetch_resources_sends_files_through_the_datastore_ingest(
    api: Api, sysadmin: str, services: Services, remote: Remote
) -> None:
    csv = "จังหวัด,ปริมาณน้ำฝน\nเชียงใหม่,1200\nภูเก็ต,2500\n".encode()
    serve(remote, "/files/rain-2566.csv", csv, "text/csv")
    page = (FIXTURES / "ckan-dcat-shaped.rdf").read_text()
    page = page.replace("http://portal.example.go.th/files/", f"{remote.url}/files/").replace("PAGE2", "")
    serve(remote, "/catalog.xml", page.encode(), "application/rdf+xml")
    source = add_source(api, sysadmin, f"{remote.url}/catalog.xml", "dcat", fetch_resources=True)
    job = run(api, sysadmin, services, source["id"])  # the harvest, then the download, then the ingest
    assert job["stats"]["added"] == 1, job
    [res] = api.ok("package_show", id="0b8d0f0e-7a0f-4b8e-9a53-2f3c6f0e9d11")["resources"]
    assert res["url_type"] == "upload" and res["datastore_active"]
    rows = api.ok("datastore_search", resource_id=res["id"])["records"]
    assert [(r["จังหวัด"], r["ปริมาณน้ำฝน"]) for r in rows] == [("เชียงใหม่", 1200), ("ภูเก็ต", 2500)]
    assert run(api, sysadmin, services, source["id"])["stats"]["not modified"] == 1
    assert api.ok("package_show", id=res["package_id"])["resources"][0]["url_type"] == "upload"
