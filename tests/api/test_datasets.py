"""package_* actions through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.conftest import GDC_FIELDS, Api, gdc_dataset


def test_create_show_round_trips_gdc_fields_as_top_level_keys(
    api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    created = api.ok("package_create", sysadmin, name="household-debt", owner_org="nso", **gdc_dataset())
    shown = api.ok("package_show", id="household-debt")
    for key in (
        "data_type",
        "objective",
        "geo_coverage",
        "data_category",
        "data_classification",
        "data_format",
    ):
        assert shown[key] == GDC_FIELDS[key]
    assert shown["title"] == "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน"
    assert shown["organization"]["name"] == "nso"
    assert shown["license_title"] == "Creative Commons Attribution"
    assert [t["name"] for t in shown["tags"]] == sorted(["สถิติ", "ข้อมูลสาธารณะ"])
    assert shown["id"] == created["id"]
    assert shown["extras"] == []  # profile fields are not duplicated as extras


def test_thai_title_without_name_gets_romanized_slug(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    first = api.ok("package_create", sysadmin, owner_org="nso", **gdc_dataset())
    second = api.ok("package_create", sysadmin, owner_org="nso", **gdc_dataset())
    assert first["name"] == "chamnuan-nisin-cheli-to-khruaruean"
    assert second["name"] == "chamnuan-nisin-cheli-to-khruaruean-2"


def test_thai_tags_with_marks_and_spaces_are_accepted(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    tags = [{"name": "ข้อมูลสาธารณะ"}, {"name": "สถิติ"}, {"name": "ค่าใช้จ่าย ครัวเรือน"}, {"name": "กทม."}]
    created = api.ok("package_create", sysadmin, name="t1", owner_org="nso", **gdc_dataset(tags=tags))
    assert {t["name"] for t in created["tags"]} == {t["name"] for t in tags}
    via_string = api.ok(
        "package_create",
        sysadmin,
        name="t2",
        owner_org="nso",
        **gdc_dataset(tags=[], tag_string="ภาษี, รายได้"),
    )
    assert {t["name"] for t in via_string["tags"]} == {"ภาษี", "รายได้"}


def test_bad_tags_are_refused(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    for bad in ("a,b", "bad\x07bell", "x" * 101, "new\nline"):
        error = api.error(
            "package_create", sysadmin, name="t", owner_org="nso", **gdc_dataset(tags=[{"name": bad}])
        )
        assert error["__type"] == "Validation Error"
        assert "tags" in error


def test_validation_errors_name_each_field(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (gdc_dataset(name="Bad Name!"), "name"),
        (gdc_dataset(name="x"), "name"),
        (gdc_dataset(owner_org="no-such-org"), "owner_org"),
        (gdc_dataset(license_id="no-such-licence"), "license_id"),
        (gdc_dataset(data_category="ไม่มีหมวดนี้"), "data_category"),
        (gdc_dataset(objective=["ไม่มีวัตถุประสงค์นี้"]), "objective"),
        (gdc_dataset(created_date="25/03/2564"), "created_date"),
        (gdc_dataset(colour="blue"), "colour"),
        (gdc_dataset(title=12345), "title"),
        (gdc_dataset(private="sometimes"), "private"),
        (gdc_dataset(tags="not-a-list"), "tags"),
        (gdc_dataset(maintainer_email="not-an-email"), "maintainer_email"),
        (gdc_dataset(title="ชื่อ\x00ซ่อน"), "title"),  # PostgreSQL cannot store NUL
        (gdc_dataset(version="1" * 101), "version"),
        ({k: v for k, v in gdc_dataset().items() if k != "data_type"}, "data_type"),
        ({k: v for k, v in gdc_dataset().items() if k != "notes"}, "notes"),
        ({"owner_org": "nso", **{k: v for k, v in gdc_dataset().items() if k != "title"}}, "name"),
    ]
    for data, field in cases:
        data.setdefault("owner_org", "nso")
        error = api.error("package_create", sysadmin, **data)
        assert error["__type"] == "Validation Error", data
        assert field in error, (field, error)
        assert all(isinstance(m, str) and m for m in error[field])
    assert api.ok("package_search")["count"] == 0  # nothing half-created


def test_duplicate_name_is_a_validation_error(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="dup", owner_org="nso", **gdc_dataset())
    error = api.error("package_create", sysadmin, name="dup", owner_org="nso", **gdc_dataset())
    assert error["name"] == ["That URL is already in use."]


def test_failed_write_leaves_catalogue_unchanged(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="keep", owner_org="nso", **gdc_dataset())
    before = api.ok("package_show", id="keep")
    # The second resource is bad: nothing of the update may stick, not even the title.
    error = api.error(
        "package_update",
        sysadmin,
        id="keep",
        owner_org="nso",
        **gdc_dataset(
            title="เปลี่ยนชื่อ", resources=[{"name": "ok", "url": "http://x/a.csv"}, {"name": {"x": 1}}]
        ),
    )
    assert "resources.1.name" in error
    assert api.ok("package_show", id="keep") == before


def test_patch_update_and_delete(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    ds = api.ok(
        "package_create",
        sysadmin,
        name="p1",
        owner_org="nso",
        **gdc_dataset(resources=[{"name": "ตาราง", "url": "https://data.go.th/a.csv"}]),
    )
    patched = api.ok("package_patch", sysadmin, id=ds["id"], title="ชื่อใหม่", geo_coverage="จังหวัด")
    assert patched["title"] == "ชื่อใหม่"
    assert patched["geo_coverage"] == "จังหวัด"
    assert patched["data_type"] == "ข้อมูลสถิติ"  # untouched fields stay
    assert patched["resources"][0]["id"] == ds["resources"][0]["id"]  # resources keep their ids
    assert patched["resources"][0]["format"] == "CSV"
    updated = api.ok("package_update", sysadmin, id=ds["id"], owner_org="nso", **gdc_dataset(resources=[]))
    assert updated["num_resources"] == 0
    api.ok("package_delete", sysadmin, id="p1")
    assert api.error("package_show", status=404, id="p1")["__type"] == "Not Found Error"
    assert api.ok("package_show", sysadmin, id="p1")["state"] == "deleted"
    assert "p1" not in api.ok("package_list")


def test_activity_records_who_changed_which_fields(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    ds = api.ok("package_create", sysadmin, name="act", owner_org="nso", **gdc_dataset())
    api.ok("package_patch", sysadmin, id="act", notes="คำอธิบายใหม่")
    activities = api.ok("package_activity_list", id="act")
    assert [a["activity_type"] for a in activities] == ["changed package", "new package"]
    assert activities[0]["data"]["changed_fields"] == ["notes"]
    assert activities[0]["data"]["package"]["notes"] == "คำอธิบายใหม่"
    assert activities[0]["user_id"] == ds["creator_user_id"]


def test_missing_dataset_and_bad_json(api: Api, client: Any) -> None:
    assert api.error("package_show", status=404, id="nope")["__type"] == "Not Found Error"
    response = client.post(
        "/api/3/action/package_create", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["__type"] == "Bad Request"
    response = client.get("/api/3/action/no_such_action")
    assert response.status_code == 400
    assert "no_such_action" in response.json()["error"]["message"]


def test_get_reads_with_query_string(client: Any, api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="g1", owner_org="nso", **gdc_dataset())
    body = client.get("/api/3/action/package_show", params={"id": "g1"}).json()
    assert body["success"] is True
    assert body["help"].endswith("help_show?name=package_show")
    assert client.get("/api/action/package_list").json()["result"] == ["g1"]
    assert client.get("/api/3/action/package_create").status_code == 400  # writes need POST


def test_current_package_list_and_search(api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    api.ok("package_create", sysadmin, name="rain", owner_org="nso", **gdc_dataset(title="ปริมาณน้ำฝนรายเดือน"))
    api.ok(
        "package_create",
        sysadmin,
        name="debt",
        owner_org="nso",
        **gdc_dataset(resources=[{"name": "xlsx", "url": "http://x/a.xlsx"}]),
    )
    recent = api.ok("current_package_list_with_resources", limit=1)
    assert [d["name"] for d in recent] == ["debt"]
    found = api.ok("package_search", q="น้ำฝน")
    assert [d["name"] for d in found["results"]] == ["rain"]
    found = api.ok("package_search", fq="res_format:XLSX", **{"facet.field": ["organization", "tags"]})
    assert found["count"] == 1
    assert found["facets"]["organization"] == {"nso": 1}
    assert found["search_facets"]["tags"]["items"][0]["count"] == 1
    page = api.ok("package_search", rows=1, start=1, sort="name asc")
    assert page["count"] == 2 and [d["name"] for d in page["results"]] == ["rain"]
    assert "rows" in api.error("package_search", rows="many")
