"""The publisher's pages in-process, on SQLite and PostgreSQL: the form generated from the profile,
validation through the domain, create -> edit -> upload a TIS-620 CSV -> ingest report -> publish ->
found in search; a refused publication; "my datasets"; hostile text stays text."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from sapan.services import Services
from tests.conftest import GDC_FIELDS, Api, gdc_dataset
from tests.governance.test_personal_data import thai_ids
from tests.web.conftest import HOSTILE, run_jobs
from tests.web.html import parse
from tests.web.publishing import EN, TH, editor, login

TIS620_CSV = "จังหวัด,ผู้ป่วย,วันที่\nเชียงใหม่,12,2564-03-25\nขอนแก่น,7,2564-03-26\nสงขลา,3,2564-03-27\n".encode(
    "cp874"
)


def gdc_form(**overrides: Any) -> dict[str, Any]:
    """A filled dataset form (field names are the profile's)."""
    form: dict[str, Any] = {k: v for k, v in GDC_FIELDS.items() if k not in ("tags",)}
    form.update(title="ผู้ป่วยรายจังหวัด", owner_org="nso", tag_string="สุขภาพ, ผู้ป่วย")
    form.update(overrides)
    return form


def test_the_form_comes_from_the_profile(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    login(client, editor(api, sysadmin, services))
    page = parse(client.get("/dataset/new", headers=TH).text)
    labels = {e.attrs.get("for"): e.text for e in page.find("label")}
    assert "ประเภทชุดข้อมูล" in labels["f-data_type"] and "*" in labels["f-data_type"]  # Thai, required
    assert "ชื่อชุดข้อมูล" in labels["f-title"]
    assert page.find("select", id="f-data_type", **{"aria-required": "true"})
    assert page.find("input", type="checkbox", name="objective")  # a multiple choice: checkboxes
    assert page.find("input", type="date", name="created_date")
    orgs = [e.attrs["value"] for e in page.find("option") if e.attrs.get("value") == "nso"]
    assert orgs == ["nso"]  # the user's organization
    assert "ประเภทของชุดข้อมูล ซึ่งใช้กำหนดว่าต้องกรอกรายการใดเพิ่มเติม" in page.text  # help text
    english = parse(client.get("/dataset/new", headers=EN).text)
    assert "Dataset type" in {e.attrs.get("for"): e.text for e in english.find("label")}["f-data_type"]


def test_validation_errors_next_to_fields_and_the_form_keeps_what_was_typed(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    token = login(client, editor(api, sysadmin, services))
    form = gdc_form(data_type="", maintainer_email="not-an-email", title=f"ชื่อ {HOSTILE}", csrf_token=token)
    response = client.post("/dataset/new", data=form, headers=EN)
    assert response.status_code == 400
    page = parse(response.text)
    assert page.find("p", id="error-data_type") and page.find("p", id="error-maintainer_email")
    assert "Email not-an-email is not a valid format" in page.text
    assert page.find("input", name="title", value=f"ชื่อ {HOSTILE}")  # kept, and escaped
    assert HOSTILE not in response.text and "&lt;script&gt;" in response.text
    assert page.find("select", id="f-data_type", **{"aria-invalid": "true"})
    assert api.ok("package_search", sysadmin, include_private=True)["count"] == 0


def test_create_edit_upload_ingest_publish_and_find(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    name = editor(api, sysadmin, services)
    token = login(client, name)
    created = client.post("/dataset/new", data=gdc_form(csrf_token=token), follow_redirects=False)
    assert created.status_code == 303, created.text
    ds = api.ok("package_search", sysadmin, include_private=True)["results"][0]
    assert ds["private"] is True and ds["title"] == "ผู้ป่วยรายจังหวัด"
    assert created.headers["location"] == f"/dataset/{ds['name']}/resource/new"
    assert {t["name"] for t in ds["tags"]} == {"สุขภาพ", "ผู้ป่วย"}

    mine = parse(client.get("/dashboard/datasets", headers=EN).text)
    assert f"/dataset/{ds['name']}" in mine.links() and "Private" in mine.text
    assert f"/dataset/{ds['name']}" in parse(client.get("/dataset", headers=EN).text).links()  # their actor
    assert f"/dataset/{ds['name']}" not in parse(TestClient(client.app).get("/dataset").text).links()

    edit = parse(client.get(f"/dataset/edit/{ds['name']}", headers=EN).text)
    assert edit.find("input", name="title", value="ผู้ป่วยรายจังหวัด")
    assert edit.find("input", type="checkbox", name="objective", checked="")
    changed = client.post(
        f"/dataset/edit/{ds['name']}",
        data=gdc_form(title="ผู้ป่วยรายจังหวัด 2564", name=ds["name"], csrf_token=token),
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert api.ok("package_show", sysadmin, id=ds["id"])["title"] == "ผู้ป่วยรายจังหวัด 2564"

    form = parse(client.get(f"/dataset/{ds['name']}/resource/new", headers=EN).text)
    assert form.find("form", enctype="multipart/form-data") and form.find("progress", id="upload-bar")
    uploaded = client.post(
        f"/dataset/{ds['name']}/resource/new",
        data={"csrf_token": token},
        files={"upload": ("patients.csv", TIS620_CSV, "text/csv")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    watch = uploaded.headers["location"]
    waiting = client.get(watch, headers=EN)
    assert "Reading the file" in waiting.text and 'hx-trigger="every 1s"' in waiting.text
    run_jobs(services)
    report = client.get(watch, headers={**EN, "HX-Request": "true"})
    assert "<html" not in report.text and "hx-trigger" not in report.text  # done: polling stops
    page = parse(report.text)
    assert page.find("dd", id="report-rows")[0].text == "3"
    assert "cp874" in page.find("dd", id="report-encoding")[0].text.lower() or "874" in page.text
    assert page.find("p", id="no-findings")

    published = client.post(
        f"/dataset/{ds['name']}/publish", data={"csrf_token": token}, follow_redirects=False
    )
    assert published.status_code == 303
    anonymous = TestClient(client.app)
    found = parse(anonymous.get("/dataset", params={"q": "ผู้ป่วย"}).text)
    assert f"/dataset/{ds['name']}" in found.links()


def test_publishing_a_table_of_national_ids_is_refused_readably(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    token = login(client, editor(api, sysadmin, services))
    api.ok("package_create", sysadmin, **gdc_dataset(name="welfare", owner_org="nso", private=True))
    rows = "\n".join(f"ผู้รับรายที่{i},{pid},{i * 100}" for i, pid in enumerate(thai_ids(30)))
    csv = f"ชื่อ,เลขประจำตัวประชาชน,เงิน\n{rows}\n".encode("cp874")
    uploaded = client.post(
        "/dataset/welfare/resource/new",
        data={"csrf_token": token},
        files={"upload": ("welfare.csv", csv, "text/csv")},
        headers={"Accept": "application/json"},  # as upload.js sends it
    )
    assert uploaded.status_code == 200 and uploaded.json()["location"].endswith("/ingest")
    run_jobs(services)
    report = parse(client.get(uploaded.json()["location"], headers=EN).text)
    assert "thai_id in column เลขประจำตัวประชาชน" in report.text
    refused = client.post("/dataset/welfare/publish", data={"csrf_token": token}, headers=EN)
    assert refused.status_code == 409
    page = parse(refused.text)
    (alert,) = [e for e in page.find("div", id="publish-refused")]
    assert "thai_id in column 'เลขประจำตัวประชาชน'" in alert.text
    assert api.ok("package_show", sysadmin, id="welfare")["private"] is True
    audited = client.post(
        "/api/3/action/audit_list", json={"action": "request.refused"}, headers={"Authorization": sysadmin}
    ).json()["result"]
    assert audited and audited[0]["details"]["action"] == "package_patch"


def test_others_datasets_and_pages_are_refused(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    api.ok("organization_create", sysadmin, name="doh", title="กรมอนามัย")
    api.ok("package_create", sysadmin, **gdc_dataset(name="theirs", owner_org="doh", private=True))
    api.ok("package_create", sysadmin, **gdc_dataset(name="public-theirs", owner_org="doh"))
    token = login(client, editor(api, sysadmin, services))
    assert client.get("/dataset/edit/theirs").status_code == 404  # private and not theirs: unseen
    assert client.get("/dataset/edit/public-theirs", headers=EN).status_code == 403
    assert client.post("/dataset/public-theirs/unpublish", data={"csrf_token": token}).status_code == 403
    stolen = client.post(
        "/dataset/new", data=gdc_form(owner_org="doh", csrf_token=token), headers=EN, follow_redirects=False
    )
    assert stolen.status_code == 403
    assert api.ok("package_show", sysadmin, id="public-theirs")["private"] is False


def test_hostile_thai_and_english_text_stays_text(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    token = login(client, editor(api, sysadmin, services))
    hostile_th = f'ข้อมูล"><img src=x onerror=alert(1)>{HOSTILE}'
    api.ok(
        "package_create",
        sysadmin,
        **gdc_dataset(
            name="hostile", owner_org="nso", private=True, title=hostile_th, tags=[{"name": "แท็ก<b>"}],
            maintainer=HOSTILE,
        ),
    )  # fmt: skip
    csv = f"{HOSTILE},จังหวัด<i>\n1,<b>เชียงใหม่</b>\n".encode()
    client.post(
        "/dataset/hostile/resource/new",
        data={"csrf_token": token, "name": f"ไฟล์ {HOSTILE}"},
        files={"upload": ("x.csv", csv, "text/csv")},
    )
    run_jobs(services)
    rid = api.ok("package_show", sysadmin, id="hostile")["resources"][0]["id"]
    for path in ("/dashboard/datasets", "/dataset/edit/hostile", f"/dataset/hostile/resource/{rid}/ingest"):
        response = client.get(path, headers=EN)
        assert response.status_code == 200, path
        assert "<script>alert" not in response.text and "<img src=x" not in response.text, path
        assert "<b>" not in response.text and "<i>" not in response.text, path
    edit = parse(client.get("/dataset/edit/hostile").text)
    assert edit.find("input", name="title", value=hostile_th)
    assert edit.find("input", name="tag_string", value="แท็ก<b>")


def test_every_page_uses_the_logged_in_users_actor(
    client: TestClient, api: Api, sysadmin: str, services: Services, catalogue: dict[str, Any]
) -> None:
    anonymous = TestClient(client.app)
    assert anonymous.get("/dataset/secret-debt").status_code == 404
    login(client, editor(api, sysadmin, services))
    assert client.get("/dataset/secret-debt").status_code == 200
    assert "/dataset/secret-debt" in parse(client.get("/dataset", params={"q": "หนี้สินลับ"}).text).links()
    assert "/dataset/secret-debt" in parse(client.get("/organization/nso").text).links()
    assert "/dataset/secret-debt" in parse(client.get("/").text).links()  # the newest, theirs included
    assert "/dataset/secret-debt" not in parse(anonymous.get("/").text).links()
    assert "/dataset/secret-debt" not in parse(anonymous.get("/organization/nso").text).links()


def test_a_file_over_the_limit_is_a_readable_413(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    token = login(client, editor(api, sysadmin, services))
    api.ok("package_create", sysadmin, **gdc_dataset(name="big", owner_org="nso", private=True))
    big = b"a,b\n" + b"1,2\n" * 700_000  # 2.8 MB; the tests' limit is 1 MB (+1 MB for the form)
    page = client.post(
        "/dataset/big/resource/new",
        data={"csrf_token": token},
        files={"upload": ("big.csv", big)},
        headers=EN,
    )
    assert page.status_code == 413 and "The file is larger than 1 MB." in parse(page.text).text
    scripted = client.post(
        "/dataset/big/resource/new",
        data={"csrf_token": token},
        files={"upload": ("big.csv", big)},
        headers={**TH, "Accept": "application/json"},
    )
    assert scripted.status_code == 413 and scripted.json() == {"errors": ["ไฟล์ใหญ่กว่า 1 MB"]}
    assert api.ok("package_show", sysadmin, id="big")["resources"] == []


def test_upload_form_has_the_profiles_resource_fields(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    token = login(client, editor(api, sysadmin, services))
    api.ok("package_create", sysadmin, **gdc_dataset(name="with-fields", owner_org="nso", private=True))
    form = parse(client.get("/dataset/with-fields/resource/new", headers=TH).text)
    labels = {e.attrs.get("for"): e.text for e in form.find("label")}
    assert "สถิติทางการ" in labels["f-resource_official_statistics"]
    assert form.find("input", type="checkbox", name="resource_disaggregate", value="เพศ")
    fields = {"csrf_token": token, "resource_created_date": "25/03/2564", "resource_disaggregate": ["เพศ"]}
    bad = client.post(
        "/dataset/with-fields/resource/new", data=fields, files={"upload": ("a.csv", TIS620_CSV)}, headers=EN
    )
    assert bad.status_code == 400
    page = parse(bad.text)
    assert "Date format incorrect" in page.find("p", id="error-resource_created_date")[0].text
    assert page.find("input", type="checkbox", name="resource_disaggregate", value="เพศ", checked="")  # kept
    fields["resource_created_date"] = "2021-03-25"
    fields["resource_official_statistics"] = "True"
    good = client.post(
        "/dataset/with-fields/resource/new", data=fields, files={"upload": ("a.csv", TIS620_CSV)},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303, good.text
    (res,) = api.ok("package_show", sysadmin, id="with-fields")["resources"]
    assert res["resource_created_date"] == "2021-03-25" and res["resource_disaggregate"] == ["เพศ"]
    assert res["resource_official_statistics"] == "True" and res["name"] == "a.csv"
