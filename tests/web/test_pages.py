"""Portal pages through the in-process client: search with facets and pages, dataset pages, both
languages, and private datasets that never show."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api, gdc_dataset
from tests.web.html import parse

TH = {"Accept-Language": "th"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def test_home_shows_totals_themes_and_newest(client: TestClient, catalogue: dict[str, Any]) -> None:
    page = parse(client.get("/", headers=TH).text)
    assert "ค้นหาข้อมูลเปิดภาครัฐ" in page.text
    assert "/group/health" in page.links() and "/organization/nso" in page.links()
    assert "25 ชุดข้อมูล" in page.text  # the private one is not counted
    assert "/dataset/secret-debt" not in page.links()
    assert page.find("main", id="main") and page.find("a", href="#main")  # landmark and skip link


def test_search_facets_filters_and_pages(client: TestClient, catalogue: dict[str, Any]) -> None:
    response = client.get("/dataset", params={"q": "หนี้สิน"}, headers=EN)
    assert response.status_code == 200
    page = parse(response.text)
    assert "25 datasets found" in page.text
    assert "/dataset/secret-debt" not in page.links()
    facets = {e.attrs["data-facet"] for e in page.find("a") if "data-facet" in e.attrs}
    assert {"organization", "tags", "res_format", "license_id", "groups", "data_category"} <= facets | {
        "res_format"
    }
    assert len([link for link in page.links() if link.startswith("/dataset/debt-")]) == 20
    assert "/dataset?q=%E0%B8%AB%E0%B8%99%E0%B8%B5%E0%B9%89%E0%B8%AA%E0%B8%B4%E0%B8%99&page=2" in page.links()

    second = parse(client.get("/dataset", params={"q": "หนี้สิน", "page": 2}, headers=EN).text)
    assert len([link for link in second.links() if link.startswith("/dataset/debt-")]) == 5

    filtered = parse(client.get("/dataset", params={"organization": "doh", "tags": "สถิติ"}, headers=EN).text)
    assert "5 datasets found" in filtered.text
    removers = [e.attrs["href"] for e in filtered.find("a") if e.attrs.get("data-remove") == "organization"]
    assert removers == ["/dataset?tags=%E0%B8%AA%E0%B8%96%E0%B8%B4%E0%B8%95%E0%B8%B4"]
    chip = next(e for e in filtered.find("a") if e.attrs.get("data-remove") == "organization")
    assert "กรมอนามัย / Department of Health" in chip.text  # the title, not the slug
    assert "25 datasets found" in parse(client.get(removers[0], headers=EN).text).text


def test_search_partial_for_htmx_and_sorting(client: TestClient, catalogue: dict[str, Any]) -> None:
    partial = client.get(
        "/dataset",
        params={"sort": "title_string desc"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="results"' in partial.text
    page = parse(partial.text)
    first = next(link for link in page.links() if link.startswith("/dataset/debt-"))
    assert first == "/dataset/debt-24"


def test_bad_parameters_give_a_readable_400(client: TestClient, catalogue: dict[str, Any]) -> None:
    for params in ({"page": "0"}, {"page": "x"}, {"sort": "; drop table"}):
        response = client.get("/dataset", params=params, headers=EN)
        assert response.status_code == 400
        assert "Bad request" in response.text and "Traceback" not in response.text


def test_dataset_page_fields_api_examples_and_links(client: TestClient, catalogue: dict[str, Any]) -> None:
    page = parse(client.get("/dataset/debt-03", headers=EN).text)
    assert page.find("h1")[0].text == "หนี้สินครัวเรือน ภาค 03"
    labels = {e.attrs["data-field"]: e.text for e in page.find("dt") if "data-field" in e.attrs}
    assert labels["data_category"] == "Data category (government data governance)"
    assert "Public data" in page.text  # the choice's English label
    links = page.links()
    assert any(link.endswith(".ttl") for link in links) and any(
        link.endswith("/datapackage.json") for link in links
    )
    assert "package_show?id=debt-03" in page.text and "import ckanapi" in page.text
    thai = parse(client.get("/dataset/debt-03", headers=TH).text)
    labels = {e.attrs["data-field"]: e.text for e in thai.find("dt") if "data-field" in e.attrs}
    assert labels["data_category"] == "หมวดหมู่ข้อมูลตามธรรมาภิบาลข้อมูลภาครัฐ"


def test_private_dataset_never_renders(client: TestClient, catalogue: dict[str, Any]) -> None:
    secret = catalogue["secret"]
    for path in ("/dataset/secret-debt", f"/dataset/{secret['id']}", "/dataset/no-such-thing"):
        response = client.get(path, headers={**EN, "Accept": "text/html"})
        assert response.status_code == 404
        assert "Page not found" in response.text and "หนี้สินลับ" not in response.text
    assert "หนี้สินลับ" not in client.get("/organization/nso", headers=EN).text
    assert "หนี้สินลับ" not in client.get("/dataset", params={"q": "ลับ"}, headers=EN).text
    assert client.get("/organization/nobody", headers=EN).status_code == 404
    assert client.get("/nowhere", headers={"Accept": "text/html"}).status_code == 404


def test_organization_and_group_pages(client: TestClient, catalogue: dict[str, Any]) -> None:
    orgs = parse(client.get("/organization", headers=EN).text)
    assert "/organization/doh" in orgs.links() and "5 datasets" in orgs.text
    doh = parse(client.get("/organization/doh", headers=EN).text)
    assert "5 datasets found" in doh.text
    assert not [e for e in doh.find("a") if e.attrs.get("data-remove")]  # the page's own filter stays
    health = parse(client.get("/group/health", headers=EN).text)
    assert "5 datasets found" in health.text and "/group/health" in parse(client.get("/group").text).links()


def test_language_switch_labels_and_buddhist_era_dates(client: TestClient, catalogue: dict[str, Any]) -> None:
    english = client.get("/dataset/debt-01", headers=EN).text
    thai = client.get("/dataset/debt-01", headers=TH).text
    year = parse(english).find("time")[0].attrs["datetime"][:4]
    assert f" {year}</time>" in english and f" {int(year) + 543}</time>" in thai
    assert '<html lang="en">' in english and '<html lang="th">' in thai
    assert "Data and resources" in english and "ข้อมูลและทรัพยากร" in thai

    switch = client.get("/lang/en", params={"next": "/dataset?q=x"}, headers=TH, follow_redirects=False)
    assert switch.status_code == 303 and switch.headers["location"] == "/dataset?q=x"
    cookie = switch.headers["set-cookie"].lower()
    assert "lang=en" in cookie and "samesite=lax" in cookie and "httponly" in cookie
    client.cookies.set("lang", "en")
    assert "Datasets" in parse(client.get("/dataset", headers=TH).text).find("h1")[0].text  # cookie wins
    client.cookies.set("lang", "th")
    assert "ชุดข้อมูล" in parse(client.get("/dataset", headers=EN).text).find("h1")[0].text
    away = client.get("/lang/th", params={"next": "//evil.example/"}, follow_redirects=False)
    assert away.headers["location"] == "/"


def test_pages_carry_security_headers(client: TestClient, catalogue: dict[str, Any]) -> None:
    response = client.get("/dataset")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    page = parse(response.text)
    assert all(e.attrs.get("src") or e.attrs.get("type") for e in page.find("script"))  # no inline code
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    docs = client.get("/api/docs")  # FastAPI's Swagger UI keeps working (its inline script)
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers


def test_dataset_json_twin_is_package_show(client: TestClient, api: Api, catalogue: dict[str, Any]) -> None:
    page = parse(client.get("/dataset/debt-02").text)
    (alternate,) = [e for e in page.find("link") if e.attrs.get("type") == "application/json"]
    assert client.get(alternate.attrs["href"]).json()["result"]["name"] == "debt-02"
    assert gdc_dataset()["title"]  # the fixture's shape is the one the API tests use


def test_harvested_dataset_shows_its_provenance(
    client: TestClient, api: Api, sysadmin: str, org: Any
) -> None:
    extras = [
        {"key": "harvest_source_title", "value": "data.go.th <b>ต้นทาง</b>"},
        {"key": "harvest_source_id", "value": "source-1"},
        {"key": "original_url", "value": "https://data.go.th/dataset/debt"},
        {"key": "unrelated", "value": "not provenance"},
    ]
    api.ok("package_create", sysadmin, **gdc_dataset(name="harvested", owner_org="nso", extras=extras))
    page = parse(client.get("/dataset/harvested", headers=EN).text)
    (section,) = page.find("section", **{"class": "provenance"})
    assert "data.go.th <b>ต้นทาง</b>" in section.text and "source-1" in section.text
    assert "https://data.go.th/dataset/debt" in page.links() and "not provenance" not in section.text
    api.ok("package_create", sysadmin, **gdc_dataset(name="local", owner_org="nso"))
    assert not parse(client.get("/dataset/local").text).find("section", **{"class": "provenance"})


def test_browse_cache_follows_every_change(
    client: TestClient, api: Api, sysadmin: str, catalogue: Any
) -> None:
    assert "25 datasets found" in client.get("/dataset", headers=EN).text
    assert "25 ชุดข้อมูล" in parse(client.get("/", headers=TH).text).text
    api.ok("package_patch", sysadmin, id="debt-24", private=True)  # hidden at once, not after a TTL
    browse = client.get("/dataset", params={"sort": "metadata_created desc"}, headers=EN).text
    assert "24 datasets found" in browse and "/dataset/debt-24" not in browse
    assert "/dataset/debt-24" not in client.get("/", headers=EN).text
    api.ok("package_patch", sysadmin, id="debt-24", private=False)
    assert "/dataset/debt-24" in client.get("/dataset", params={"sort": "metadata_created desc"}).text


def test_search_json_twin_is_the_same_package_search(client: TestClient, catalogue: Any) -> None:
    page = parse(client.get("/dataset", params={"q": "หนี้สิน", "organization": "doh", "page": 1}).text)
    (alternate,) = [e for e in page.find("link") if e.attrs.get("type") == "application/json"]
    result = client.get(alternate.attrs["href"]).json()["result"]
    assert result["count"] == 5 and {d["name"] for d in result["results"]} == {
        f"debt-{i}" for i in range(20, 25)
    }
