"""Our answers have the shape of real CKAN answers (Birmingham City Council's CKAN; data.go.th with
ckanext-scheming + the GDC profile): the same keys with the same JSON types."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import FIXTURES, Api, gdc_dataset

# Keys of CKAN 2.8 that later CKAN versions dropped.
DROPPED_UPSTREAM = {"revision_id"}
# Real data.go.th keys that are not part of the GDC standard (site-specific additions).
SITE_SPECIFIC = {"telephone_number"}


def _json_type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _assert_same_shape(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    for key, value in theirs.items():
        if key in DROPPED_UPSTREAM | SITE_SPECIFIC:
            continue
        assert key in ours, f"{where}: missing key {key}"
        if value is not None and ours[key] is not None:
            assert _json_type(ours[key]) == _json_type(value), f"{where}.{key}: {ours[key]!r} vs {value!r}"


def test_package_and_resource_match_ckan_shapes(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    ckan = json.loads((FIXTURES / "ckan" / "birmingham_package.json").read_text())
    gdc = json.loads((FIXTURES / "ckan" / "datagoth_package.json").read_text())
    ds = api.ok(
        "package_create",
        sysadmin,
        name="shape",
        owner_org="nso",
        groups=[],
        **gdc_dataset(resources=[{"name": "ตาราง", "url": "https://data.go.th/a.csv", "format": "CSV"}]),
    )
    ours = api.ok("package_show", id=ds["id"])
    _assert_same_shape(ours, ckan, "package")
    _assert_same_shape(ours["resources"][0], ckan["resources"][0], "resource")
    _assert_same_shape(ours["organization"], ckan["organization"], "organization")
    _assert_same_shape(ours["tags"][0], ckan["tags"][0], "tag")
    for key in ("data_type", "objective", "update_frequency_unit", "geo_coverage", "data_category"):
        assert _json_type(ours[key]) == _json_type(gdc[key]) or isinstance(ours[key], list), key
    _assert_same_shape(
        ours, {k: v for k, v in gdc.items() if k not in ("disaggregate", "high_value_dataset")}, "gdc"
    )


def test_search_envelope_matches_ckan(client: Any) -> None:
    ckan = json.loads((FIXTURES / "ckan" / "birmingham_package.json").read_text())
    body = client.get("/api/3/action/package_search").json()
    assert set(body) == {"help", "success", "result"}
    # CKAN's keys, plus Sapan's cross-lingual `also_searched` (CKAN clients ignore unknown keys)
    assert set(body["result"]) == {"count", "sort", "facets", "results", "search_facets", "also_searched"}
    assert ckan["type"] == "dataset"
