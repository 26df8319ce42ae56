"""Saving a chart as a view from the resource page, on SQLite and PostgreSQL: editors see the form,
its POST needs the session's CSRF token, the saved view is listed (its spec for preview.js to draw)
with a delete button; outsiders see the views but no form; hostile titles stay text."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from sapan.services import Services
from tests.api.test_resource_views import bar_chart, table
from tests.conftest import Api
from tests.web.conftest import HOSTILE
from tests.web.html import parse
from tests.web.publishing import EN, TH, editor, login


def test_editor_saves_a_chart_as_a_view_lists_and_deletes_it(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    rid = table(api, sysadmin, services)
    page_url = f"/dataset/debt/resource/{rid}"
    anonymous = TestClient(client.app)
    assert not parse(anonymous.get(page_url).text).find("form", id="view-form")

    token = login(client, editor(api, sysadmin, services))
    page = parse(client.get(page_url, headers=EN).text)
    (form,) = page.find("form", id="view-form")
    assert form.attrs["action"] == f"{page_url}/views" and form.attrs["method"] == "post"
    assert page.find("input", type="hidden", name="spec") and page.find("input", name="csrf_token")

    title = f"หนี้สินรายภาค {HOSTILE}"
    form_data = {"title": title, "spec": json.dumps(bar_chart(rid))}
    refused = client.post(f"{page_url}/views", data=form_data, follow_redirects=False)
    assert refused.status_code == 403 and api.ok("resource_view_list", id=rid) == []  # no CSRF token
    saved = client.post(f"{page_url}/views", data={**form_data, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    (view,) = api.ok("resource_view_list", id=rid)
    assert saved.headers["location"] == f"{page_url}#view-{view['id']}"
    assert view["title"] == title and view["spec"]["mark"]["type"] == "bar"

    for visitor in (client, anonymous):
        html = visitor.get(page_url, headers=TH).text
        assert HOSTILE not in html and "&lt;script&gt;" in html  # the title is text
        listed = parse(html)
        assert "มุมมองที่บันทึกไว้" in listed.text  # "Saved views"
        assert listed.find("div", **{"data-view": view["id"]})
        (spec_script,) = [e for e in listed.find("script") if e.attrs.get("id") == f"view-spec-{view['id']}"]
        assert json.loads(spec_script.text) == {"table_id": rid, "spec": view["spec"]}
    delete_url = f"{page_url}/views/{view['id']}/delete"
    assert not parse(anonymous.get(page_url).text).find("form", action=delete_url)
    assert parse(client.get(page_url).text).find("form", action=delete_url)

    assert client.post(delete_url, data={}, follow_redirects=False).status_code == 403  # no token
    deleted = client.post(delete_url, data={"csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303 and api.ok("resource_view_list", id=rid) == []


def test_a_refused_spec_shows_the_page_again_with_the_field_named(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    rid = table(api, sysadmin, services)
    page_url = f"/dataset/debt/resource/{rid}"
    token = login(client, editor(api, sysadmin, services))
    hostile = bar_chart(rid, data={"url": "https://evil.example/rows.json"})
    answer = client.post(
        f"{page_url}/views",
        data={"title": "กราฟ", "spec": json.dumps(hostile), "csrf_token": token},
        headers=EN,
    )
    assert answer.status_code == 400
    page = parse(answer.text)
    assert "spec.data" in page.find("ul", id="view-errors")[0].text
    assert page.find("input", id="view-title", value="กราฟ")
    assert api.ok("resource_view_list", id=rid) == []
    assert "spec" in client.post(f"{page_url}/views", data={"title": "t", "csrf_token": token}).text  # no JS


def test_outsiders_cannot_save_and_private_views_stay_hidden(
    client: TestClient, api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    api.ok("organization_create", sysadmin, name="doh", title="กรมอนามัย")
    rid = table(api, sysadmin, services, private=True)
    api.ok(
        "resource_view_create",
        sysadmin,
        resource_id=rid,
        title="ลับ",
        view_type="vega-lite",
        spec=bar_chart(rid),
    )
    token = login(client, editor(api, sysadmin, services, name="other", org="doh"))
    page_url = f"/dataset/debt/resource/{rid}"
    assert client.get(page_url).status_code == 404
    data = {"title": "t", "spec": json.dumps(bar_chart(rid)), "csrf_token": token}
    assert client.post(f"{page_url}/views", data=data).status_code == 404
    public = table(api, sysadmin, services, name="open-debt")
    data["spec"] = json.dumps(bar_chart(public))
    assert client.post(f"/dataset/open-debt/resource/{public}/views", data=data).status_code == 403
