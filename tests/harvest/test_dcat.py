"""The DCAT-AP 3 export: Thai metadata in Turtle, JSON-LD and RDF/XML, Hydra paging, modified_since,
q/fq, and content negotiation on the dataset page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from sapan.harvest.vocab import DCAT, DCT, FOAF, HYDRA, SAPAN, SKOS, SPDX, VCARD
from tests.conftest import Api
from tests.harvest.conftest import dataset_iri, parse, publish

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's own XSD warns when pytest inspects it
EU = "http://publications.europa.eu/resource/authority/"
TITLE = "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาค"


def _debt(api: Api, token: str) -> dict[str, Any]:
    api.ok("group_create", token, name="economy", title="เศรษฐกิจและการคลัง")
    ds = publish(
        api, token, "household-debt", TITLE, groups=[{"name": "economy"}], first_year_of_data="2560",
        last_year_of_data="๒๕๖๔", data_language=["ไทย", "อังกฤษ"], url="https://www.nso.go.th/หนี้สิน",
    )  # fmt: skip
    api.ok(
        "resource_create", token, package_id=ds["id"], name="ตารางหนี้สินครัวเรือน รายภาค",
        description="หน่วย: บาทต่อครัวเรือน", url="https://data.nso.go.th/หนี้สิน 2564.csv", format="CSV",
    )  # fmt: skip
    return ds


def test_catalog_holds_the_thai_metadata_in_every_syntax(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = _debt(api, sysadmin)
    graph = parse(client, "/catalog.ttl")
    node = dataset_iri(ds)
    catalog = URIRef("http://testserver/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph and (catalog, DCAT.dataset, node) in graph
    assert (node, DCT.title, Literal(TITLE, lang="th")) in graph
    assert (
        node,
        DCT.description,
        Literal("จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาค พ.ศ. 2564", lang="th"),
    ) in graph
    assert set(graph.objects(node, DCAT.keyword)) == {
        Literal("สถิติ", lang="th"),
        Literal("ข้อมูลสาธารณะ", lang="th"),
    }
    publisher = graph.value(node, DCT.publisher)
    assert graph.value(publisher, FOAF.name) == Literal(
        "สำนักงานสถิติแห่งชาติ / National Statistical Office", lang="th"
    )
    contact = graph.value(node, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert graph.value(contact, VCARD.fn) == Literal("กลุ่มงานสถิติ", lang="th")
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:stat@nso.go.th")
    assert graph.value(node, DCT.license) == URIRef("http://www.opendefinition.org/licenses/cc-by")
    assert graph.value(node, DCT.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert graph.value(node, DCT.accrualPeriodicity) == URIRef(EU + "frequency/ANNUAL")  # ปี, every 1
    assert set(graph.objects(node, DCT.language)) == {
        URIRef(EU + "language/THA"),
        URIRef(EU + "language/ENG"),
    }
    period = graph.value(node, DCT.temporal)  # Buddhist-era years, one in Thai digits
    assert graph.value(period, DCAT.startDate) == Literal("2017", datatype=XSD.gYear)
    assert graph.value(period, DCAT.endDate) == Literal("2021", datatype=XSD.gYear)
    theme = graph.value(node, DCAT.theme)
    assert graph.value(theme, SKOS.prefLabel) == Literal("เศรษฐกิจและการคลัง", lang="th")
    landing = set(graph.objects(node, DCAT.landingPage))
    assert URIRef("http://testserver/dataset/household-debt") in landing
    assert (
        URIRef("https://www.nso.go.th/%E0%B8%AB%E0%B8%99%E0%B8%B5%E0%B9%89%E0%B8%AA%E0%B8%B4%E0%B8%99")
        in landing
    )
    assert (node, DCT.modified, None) in graph and (node, DCT.issued, None) in graph
    # Profile fields without a DCAT term keep their Thai values under sapan:
    assert graph.value(node, SAPAN.data_classification) == Literal("เปิดเผย")
    assert graph.value(node, SAPAN.data_category) == Literal("ข้อมูลสาธารณะ")
    assert graph.value(node, SAPAN.objective) == Literal("เพื่อการให้บริการประชาชน")

    distribution = graph.value(node, DCAT.distribution)
    assert graph.value(distribution, DCT.title) == Literal("ตารางหนี้สินครัวเรือน รายภาค", lang="th")
    assert graph.value(distribution, DCAT.accessURL) == URIRef(
        "https://data.nso.go.th/%E0%B8%AB%E0%B8%99%E0%B8%B5%E0%B9%89%E0%B8%AA%E0%B8%B4%E0%B8%99%202564.csv"
    )
    assert graph.value(distribution, DCT["format"]) == URIRef(EU + "file-type/CSV")
    assert graph.value(distribution, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert (distribution, DCAT.downloadURL, None) not in graph  # a link: we do not know it is a file

    for extension in ("jsonld", "rdf", "xml"):  # the same graph in every syntax (but for the page links)
        assert isomorphic(_unpaged(parse(client, f"/catalog.{extension}", extension)), _unpaged(graph)), (
            extension
        )
    single = parse(client, f"/dataset/{ds['name']}.ttl")
    assert (node, DCT.title, Literal(TITLE, lang="th")) in single and (catalog, None, None) not in single
    for extension in ("jsonld", "rdf", "xml"):
        assert isomorphic(parse(client, f"/dataset/{ds['id']}.{extension}", extension), single), extension


def _unpaged(graph: Graph) -> Graph:
    """The graph without its Hydra view, whose page IRIs name the syntax (catalog.ttl?page=1)."""
    out = Graph()
    for s, p, o in graph:
        if not any(str(term).startswith("http://testserver/catalog.") for term in (s, o)):
            out.add((s, p, o))
    return out


def test_uploaded_file_has_download_url_size_and_checksum(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = publish(api, sysadmin, "annual-report", "รายงานประจำปี ๒๕๖๖")
    pdf = b"%PDF-1.4\n% \xe0\xb8\xa3\xe0\xb8\xb2\xe0\xb8\xa2\xe0\xb8\x87\xe0\xb8\xb2\xe0\xb8\x99\n%%EOF\n"
    response = client.post(
        "/api/3/action/resource_create",
        data={"package_id": ds["id"], "name": "รายงานฉบับเต็ม", "format": "PDF"},
        files={"upload": ("รายงาน.pdf", pdf, "application/pdf")},
        headers={"Authorization": sysadmin},
    )
    res = response.json()["result"]
    graph = parse(client, f"/dataset/{ds['name']}.ttl")
    distribution = URIRef(f"http://testserver/dataset/{ds['id']}/resource/{res['id']}")
    assert graph.value(distribution, DCAT.downloadURL) == graph.value(distribution, DCAT.accessURL)
    assert graph.value(distribution, DCAT.byteSize) == Literal(len(pdf), datatype=XSD.nonNegativeInteger)
    assert graph.value(distribution, DCT["format"]) == URIRef(EU + "file-type/PDF")
    checksum = graph.value(distribution, SPDX.checksum)
    assert str(graph.value(checksum, SPDX.checksumValue)) == res["hash"].removeprefix("sha256:")
    assert client.get(str(graph.value(distribution, DCAT.downloadURL))).content == pdf


def _view(graph: Graph) -> dict[str, str]:
    view = graph.value(URIRef("http://testserver/catalog"), HYDRA.view)
    assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
    links = {"self": str(view)}
    for name in ("first", "previous", "next", "last"):
        if (target := graph.value(view, HYDRA[name])) is not None:
            links[name] = str(target)
    return links


def _titles(graph: Graph) -> list[str]:
    return sorted(str(graph.value(d, DCT.title)) for d in graph.subjects(RDF.type, DCAT.Dataset))


def test_pages_with_hydra_links(
    small_pages: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    titles = [
        "ข้อมูลฝุ่น PM2.5 รายวัน",
        "จำนวนผู้ป่วยโควิด-19",
        "งบประมาณรายจ่ายประจำปี",
        "ราคาข้าวเปลือก",
        "สถิติการท่องเที่ยว",
    ]
    for n, title in enumerate(titles):
        publish(api, sysadmin, f"ds-{n}", title)
    first = parse(small_pages, "/catalog.ttl")
    assert int(first.value(URIRef("http://testserver/catalog"), HYDRA.totalItems)) == 5
    assert _view(first) == {
        "self": "http://testserver/catalog.ttl?page=1",
        "first": "http://testserver/catalog.ttl?page=1",
        "next": "http://testserver/catalog.ttl?page=2",
        "last": "http://testserver/catalog.ttl?page=3",
    }
    assert _titles(first) == sorted(titles[3:])  # newest change first
    second = parse(small_pages, _view(first)["next"].removeprefix("http://testserver"))
    assert _titles(second) == sorted(titles[1:3])
    assert _view(second)["previous"].endswith("page=1") and _view(second)["next"].endswith("page=3")
    third = parse(small_pages, "/catalog.jsonld?page=3", "jsonld")
    assert _titles(third) == titles[:1] and "next" not in _view(third)
    assert _titles(parse(small_pages, "/catalog.ttl?page=9")) == []  # past the end: an empty page

    # A change moves a dataset to the front; modified_since keeps the newer ones, q and fq still apply.
    changed = api.ok("package_patch", sysadmin, id="ds-0", notes="ปรับปรุงข้อมูลฝุ่นละอองรายวัน")
    since = changed["metadata_modified"]
    assert _titles(parse(small_pages, f"/catalog.ttl?modified_since={since}")) == [titles[0]]
    newer = parse(
        small_pages, f"/catalog.ttl?modified_since={api.ok('package_show', id='ds-3')['metadata_modified']}"
    )
    assert _titles(newer) == sorted([titles[0], titles[4]])  # ds-3, ds-4, ds-0: two on the first page
    assert int(newer.value(URIRef("http://testserver/catalog"), HYDRA.totalItems)) == 3
    assert _view(newer)["next"].startswith("http://testserver/catalog.ttl?modified_since=")
    later = parse(small_pages, _view(newer)["next"].removeprefix("http://testserver"))
    assert _titles(later) == [titles[3]]
    assert _titles(parse(small_pages, "/catalog.ttl?modified_since=2999-01-01")) == []
    # Seven hours ahead of UTC: the same wall-clock time is earlier, so all five are newer. The "+" sent
    # unencoded arrives as a space and still reads as a zone.
    for zone in ("%2B07:00", "+07:00"):
        zoned = parse(small_pages, f"/catalog.ttl?modified_since={since[:19]}{zone}")
        assert int(zoned.value(URIRef("http://testserver/catalog"), HYDRA.totalItems)) == 5, zone

    found = parse(small_pages, "/catalog.ttl?q=โควิด")
    assert _titles(found) == [titles[1]]
    assert _view(found)["first"] == "http://testserver/catalog.ttl?" + urlencode({"q": "โควิด", "page": 1})
    api.ok("package_patch", sysadmin, id="ds-2", tags=[{"name": "งบประมาณ"}])
    assert _titles(parse(small_pages, "/catalog.ttl?fq=tags:งบประมาณ")) == [titles[2]]


def test_bad_parameters_answer_clearly(client: TestClient) -> None:
    for path, status, key in (
        ("/catalog.ttl?page=0", 409, "page"),
        ("/catalog.ttl?page=two", 409, "page"),
        ("/catalog.ttl?modified_since=เมื่อวาน", 409, "modified_since"),
        ("/catalog.ttl?fq=nonsense:1", 409, "fq"),
    ):
        response = client.get(path)
        assert response.status_code == status and key in response.json()["error"], path
    response = client.get("/catalog.csv")
    assert response.status_code == 404 and ".ttl" in response.json()["error"]["message"]
    response = client.get("/dataset/no-such-dataset.ttl")
    assert response.status_code == 404 and response.json()["error"]["message"] == "Dataset not found"


def test_dataset_page_negotiates_rdf(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    ds = publish(api, sysadmin, "rice-prices", "ราคาข้าวเปลือกเจ้า ความชื้น 15%")
    for accept, content_type, extension in (
        ("text/turtle", "text/turtle", "ttl"),
        ("application/ld+json", "application/ld+json", "jsonld"),
        ("application/rdf+xml", "application/rdf+xml", "rdf"),
        ("text/html;q=0.5, text/turtle", "text/turtle", "ttl"),
    ):
        response = client.get("/dataset/rice-prices", headers={"Accept": accept})
        assert response.headers["content-type"].startswith(content_type), accept
        assert "Accept" in response.headers["vary"]
        graph = parse(client, "/dataset/rice-prices", extension, Accept=accept)
        assert (dataset_iri(ds), DCT.title, Literal("ราคาข้าวเปลือกเจ้า ความชื้น 15%", lang="th")) in graph
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept in (browser, "", "*/*", "text/html, text/turtle"):  # HTML stays the default, and wins ties
        response = client.get("/dataset/rice-prices", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), (
            accept
        )
        assert "ราคาข้าวเปลือกเจ้า" in response.text
    assert client.get("/dataset/nothing-here", headers={"Accept": "text/turtle"}).status_code == 404
