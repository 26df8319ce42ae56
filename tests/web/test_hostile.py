"""Everything users write is escaped: hostile Thai and English titles, notes, tags, organization
names, column names and cell values; notes are Markdown without raw HTML; JSON-LD cannot be broken out of."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.web.conftest import HOSTILE, run_jobs
from tests.web.html import assert_no_injected_markup, parse

NOTES = (
    "## สรุป\n\nข้อมูล **หนี้สิน** <img src=x onerror=alert(1)> [คลิก](javascript:alert(1))\n\n"
    '</script><script>alert(2)</script> & "quotes"'
)


def hostile_dataset(api: Api, token: str) -> dict[str, Any]:
    api.ok("organization_create", token, name="evil", title=f"หน่วยงาน {HOSTILE}")
    result: dict[str, Any] = api.ok(
        "package_create",
        token,
        **gdc_dataset(
            name="hostile",
            title=f"{HOSTILE} ชุดข้อมูลอันตราย \"'><b>",
            notes=NOTES,
            owner_org="evil",
            tags=[{"name": f"แท็ก {HOSTILE}"}, {"name": '"><svg onload=alert(3)>'}],
            resources=[{"name": f"ไฟล์ {HOSTILE}", "url": "https://example.go.th/a.csv", "format": "CSV"}],
        ),
    )
    return result


def test_hostile_metadata_is_escaped_everywhere(client: TestClient, api: Api, sysadmin: str) -> None:
    hostile_dataset(api, sysadmin)
    for path in (
        "/",
        "/dataset",
        "/dataset?q=อันตราย",
        "/dataset/hostile",
        "/organization",
        "/organization/evil",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text and "<svg onload" not in response.text, path
        assert "<img src=x" not in response.text, path
        assert_no_injected_markup(parse(response.text))
    page = parse(client.get("/dataset/hostile").text)
    assert f"{HOSTILE} ชุดข้อมูลอันตราย" in page.find("h1")[0].text  # shown as text, not run
    assert page.find("h2", id=None) and "หนี้สิน" in [e.text for e in page.find("strong")]  # Markdown works


def test_json_ld_describes_the_dataset_and_cannot_be_broken(
    client: TestClient, api: Api, sysadmin: str
) -> None:
    ds = hostile_dataset(api, sysadmin)
    api.ok(
        "package_patch", sysadmin, id="hostile", first_year_of_data="2560", last_year_of_data="2564",
        west_bound_longitude="97.3", east_bound_longitude="105.6", north_bound_longitude="20.5",
        south_bound_longitude="5.6",
    )  # fmt: skip
    html = client.get("/dataset/hostile").text
    assert html.count("</script>") == html.count("<script")  # nothing closed the JSON-LD early
    data = parse(html).json_script("application/ld+json")
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    assert data["name"].startswith(HOSTILE) and data["description"] == NOTES
    assert data["url"] == "http://testserver/dataset/hostile" and data["identifier"] == ds["id"]
    assert data["license"] and data["creator"]["name"] == f"หน่วยงาน {HOSTILE}"
    assert data["creator"]["url"] == "http://testserver/organization/evil"
    (dist,) = data["distribution"]
    assert dist["contentUrl"] == "https://example.go.th/a.csv" and dist["encodingFormat"] == "CSV"
    assert data["temporalCoverage"] == "2017/2021"  # Buddhist-era years as Gregorian
    assert data["spatialCoverage"]["geo"]["box"] == "5.6 97.3 20.5 105.6"
    assert f"แท็ก {HOSTILE}" in data["keywords"]


def test_table_preview_escapes_columns_and_cells_and_waits_for_the_scan(
    client: TestClient, api: Api, sysadmin: str, services: Services
) -> None:
    ds = hostile_dataset(api, sysadmin)
    resource_id = ds["resources"][0]["id"]
    column = f"คอลัมน์ {HOSTILE}"
    records = [{column: f"ค่า {HOSTILE} {n}", "จำนวน": n} for n in range(45)]
    api.ok(
        "datastore_create", sysadmin, resource_id=resource_id, records=records,
        fields=[{"id": column, "type": "text"}, {"id": "จำนวน", "type": "int"}],
    )  # fmt: skip
    path = f"/dataset/hostile/resource/{resource_id}"
    waiting = client.get(path, headers={"Accept-Language": "en"})
    assert waiting.status_code == 200 and "not available yet" in waiting.text
    assert "ค่า" not in waiting.text and "คอลัมน์" not in waiting.text  # nothing before the scan

    run_jobs(services)
    response = client.get(path, params={"sort": "จำนวน", "dir": "desc"}, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    page = parse(response.text)
    assert_no_injected_markup(page)
    assert column in [e.text.split(" — ")[0].strip() for e in page.find("a") if e.text.startswith("คอลัมน์")][0]
    cells = [e.text for e in page.find("td")]
    assert cells[:2] == [f"ค่า {HOSTILE} 44", "44"] and len(cells) == 40  # 20 rows, sorted, escaped
    assert "Rows 1–20 of 45" in page.text
    last = parse(client.get(path, params={"page": 3}).text)
    assert [e.text for e in last.find("td")][1::2] == ["40", "41", "42", "43", "44"]
    only = parse(client.get(path, params={"column": "จำนวน", "value": "7"}).text)
    assert [e.text for e in only.find("td")] == [f"ค่า {HOSTILE} 7", "7"]
    config = page.json_script("application/json")
    assert config["resource_id"] == resource_id and config["fields"][0]["id"] == column
    partial = client.get(path, params={"page": 2}, headers={"HX-Request": "true", "HX-Target": "preview"})
    assert partial.text.lstrip().startswith('<div id="preview"')
    assert client.get(path, params={"page": "-1"}).status_code == 400
    assert client.get(path, params={"sort": "no such column"}).status_code == 400
    assert client.get("/dataset/hostile/resource/not-a-resource").status_code == 404


def test_map_columns_geojson_or_lat_lon(
    client: TestClient, api: Api, sysadmin: str, services: Services
) -> None:
    ds = hostile_dataset(api, sysadmin)
    resource_id = ds["resources"][0]["id"]
    geometry = '{"type":"Point","coordinates":[100.5,13.75]}'
    records = [{"ชื่อ": "กรุงเทพฯ", "geometry": geometry}]
    fields = [{"id": "ชื่อ", "type": "text"}, {"id": "geometry", "type": "text"}]
    api.ok("datastore_create", sysadmin, resource_id=resource_id, records=records, fields=fields)
    run_jobs(services)
    page = parse(client.get(f"/dataset/hostile/resource/{resource_id}").text)
    assert page.json_script("application/json")["map"] == {"geometry": "geometry"}
    assert page.find("div", id="map") and any(
        "leaflet" in e.attrs.get("src", "") for e in page.find("script")
    )
    assert page.json_script("application/json")["tiles"] == ""  # no basemap unless configured


def test_a_workbook_previews_each_sheet(
    client: TestClient, api: Api, sysadmin: str, services: Services
) -> None:
    from tests.conftest import FIXTURES
    from tests.datastore.test_ingest import upload

    api.ok("organization_create", sysadmin, name="ect", title="กกต.")
    api.ok("package_create", sysadmin, **gdc_dataset(name="election", owner_org="ect"))
    workbook = (FIXTURES / "datastore" / "ect-election-2566-results.sample.xlsx").read_bytes()
    rid = upload(client, sysadmin, "election", "ผลเลือกตั้ง.xlsx", workbook)["id"]
    path = f"/dataset/election/resource/{rid}"
    before = client.get(path, headers={"Accept-Language": "en"}).text  # not ingested yet: no table
    assert "<table" not in before and "constituency_2566" not in before
    run_jobs(services)
    page = parse(client.get(path).text)
    sheets = [e.attrs["data-sheet"] for e in page.find("a") if "data-sheet" in e.attrs]
    assert sheets == [f"{rid}:2", f"{rid}:3", f"{rid}:4"] and "constituency_2566" in page.text
    second = parse(client.get(path, params={"table": f"{rid}:2", "sort": "scores", "dir": "desc"}).text)
    assert "party" in [e.text.split(" — ")[0].strip() for e in second.find("a")]
    assert second.json_script("application/json")["resource_id"] == f"{rid}:2"
    assert f"/datastore/dump/{rid}:2?format=csv" in second.links()
    assert client.get(path, params={"table": "someone-else:2"}).status_code == 400
