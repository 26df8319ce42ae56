"""The export conforms to the DCAT-AP 3.0.1 SHACL shapes (SEMIC's, in tests/fixtures/dcat-ap).

Which shapes: `shapes.ttl` holds the profile's constraints (cardinalities, node kinds, datatypes) and
`range.ttl` the class of every property's value; together they are DCAT-AP conformance. They use
sh:class, which pySHACL checks against rdf:type triples in the data graph; the export types every node a
range constrains (dct:LicenseDocument, foaf:Agent, dct:Frequency...), so no ontology graph has to be
imported (and the shapes import none: their only owl:imports is in deprecateduris.ttl). We also run
`shapes_recommended.ttl`, whose results are warnings only, and require no violation from it either.
Left out: `mdr-vocabularies.shape.ttl` demands EU-managed vocabularies (each value's skos:inScheme must
be an EU authority table, so it needs those tables loaded) for what a Thai portal describes in its own
terms (GDC formats, its groups as themes); `deprecateduris.ttl` flags DCAT-AP 1.x URIs, which we never
emit."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyshacl import validate
from rdflib import RDF, Graph

from sapan.harvest.vocab import DCAT, DCT
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from sapan.services import Services
from tests.conftest import FIXTURES, Api, gdc_dataset
from tests.datastore.test_ingest import ICU_BEDS, upload
from tests.harvest.conftest import parse, publish

SHAPES = FIXTURES / "dcat-ap"


def _shapes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(SHAPES / name, format="turtle")
    return graph


def _violations(data: Graph, shapes: Graph) -> str:
    conforms, _, report = validate(data, shacl_graph=shapes, allow_warnings=True, inference="none")
    return "" if conforms else report


@pytest.fixture()
def catalogue(
    client: TestClient, api: Api, services: Services, sysadmin: str, org: dict[str, Any]
) -> list[str]:
    """Datasets as varied as the profile allows: every GDC field, a link, an upload, an ingested table,
    a licence without a URL, an unknown format, and a dataset without organization or groups."""
    api.ok("group_create", sysadmin, name="health", title="สุขภาพ")
    full = publish(
        api, sysadmin, "icu-beds", "จำนวนเตียง ICU จำแนกตามจังหวัด พ.ศ. ๒๕๕๓", groups=[{"name": "health"}],
        first_year_of_data="2553", last_year_of_data="2553", data_language=["ไทย"],
        standard="มาตรฐานสถิติ สสช.", accessible_condition="ใช้ได้โดยไม่มีเงื่อนไข", created_date="2010-03-01",
        data_release_date="2010-06-30", west_bound_longitude="97.34", east_bound_longitude="105.64",
        north_bound_longitude="20.46", south_bound_longitude="5.61", version="1.0",
        author="กองยุทธศาสตร์และแผนงาน", author_email="plan@moph.go.th", url="https://www.moph.go.th/เตียง",
        high_value_dataset="True", update_frequency_unit="วันทำการ",
    )  # fmt: skip
    upload(client, sysadmin, "icu-beds", "เตียง-icu.csv", ICU_BEDS)
    run_pending(services, handlers())
    api.ok("resource_create", sysadmin, package_id="icu-beds", name="แผนที่", url="https://gis.moph.go.th/icu",
           format="WMS")  # fmt: skip
    # No organization and no groups; the Thai open government licence has no URL of its own.
    api.ok("package_create", sysadmin, **gdc_dataset(
        name="tourism", title="สถิตินักท่องเที่ยวชาวต่างชาติ", license_id="ogl-th", update_frequency_unit="เดือน",
        update_frequency_interval="4",
    ))  # fmt: skip
    return [full["name"], "tourism"]


def test_catalogue_conforms_to_dcat_ap(client: TestClient, catalogue: list[str]) -> None:
    data = parse(client, "/catalog.ttl")
    assert len(set(data.subjects(RDF.type, DCAT.Dataset))) == 2
    assert len(set(data.objects(None, DCAT.distribution))) == 2  # the ingested upload (scanned) and the link
    assert _violations(data, _shapes("shapes.ttl", "range.ttl")) == ""
    assert _violations(data, _shapes("shapes_recommended.ttl")) == ""
    for name in catalogue:
        assert _violations(parse(client, f"/dataset/{name}.ttl"), _shapes("shapes.ttl", "range.ttl")) == ""


def test_the_shapes_do_catch_mistakes(client: TestClient, catalogue: list[str]) -> None:
    """Guards the test above: the same shapes reject an export that lacks what DCAT-AP requires or
    leaves a range's node untyped."""
    data = parse(client, "/catalog.ttl")
    data.remove((None, DCT.description, None))
    data.remove((None, RDF.type, DCT.LicenseDocument))
    report = _violations(data, _shapes("shapes.ttl", "range.ttl"))
    assert "dct:description" in report and "dct:LicenseDocument" in report
