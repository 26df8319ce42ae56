"""resource_view_* on SQLite and PostgreSQL: create, list, show, update, delete; editors only;
a private dataset's views are 404 to outsiders; a chart spec is checked against an allow-list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sapan.services import Services
from tests.conftest import Api, gdc_dataset, make_user
from tests.web.conftest import HOSTILE, run_jobs

FIELDS = [{"id": "ภาค", "type": "text"}, {"id": "หนี้สิน", "type": "int"}]


def table(api: Api, sysadmin: str, services: Services, private: bool = False, name: str = "debt") -> str:
    ds = api.ok("package_create", sysadmin, **gdc_dataset(name=name, owner_org="nso", private=private))
    res = api.ok(
        "resource_create", sysadmin, package_id=ds["id"], name="t", url="https://example.go.th/t.csv"
    )
    records = [{"ภาค": r, "หนี้สิน": n} for r, n in (("เหนือ", 10), ("ใต้", 20), ("กลาง", 30))]
    api.ok("datastore_create", sysadmin, resource_id=res["id"], fields=FIELDS, records=records)
    run_jobs(services)
    return str(res["id"])


def bar_chart(resource_id: str, **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {
            "url": f"/api/3/action/datastore_search?resource_id={resource_id}&limit=5000",
            "format": {"type": "json", "property": "result.records"},
        },
        "mark": {"type": "bar", "tooltip": False},
        "encoding": {
            "x": {"field": "ภาค", "type": "nominal"},
            "y": {"field": "หนี้สิน", "type": "quantitative", "aggregate": "sum"},
            "tooltip": [{"field": "ภาค"}],
        },
        "width": "container",
        "height": 320,
        "config": {"font": "Sarabun, sans-serif"},
    }
    spec.update(changes)
    return spec


def test_create_list_show_update_delete(
    api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    rid = table(api, sysadmin, services)
    created = api.ok(
        "resource_view_create", sysadmin, resource_id=rid, title="หนี้สินรายภาค", view_type="vega-lite",
        spec=bar_chart(rid),
    )  # fmt: skip
    assert created["title"] == "หนี้สินรายภาค" and created["view_type"] == "vega-lite" and created["order"] == 0
    assert created["resource_id"] == rid and created["package_id"]
    assert created["spec"]["data"]["url"].startswith("/api/3/action/datastore_search?resource_id=")
    assert "values" not in created["spec"]["data"]
    table_view = api.ok(
        "resource_view_create", sysadmin, resource_id=rid, title="ตาราง", view_type="datatables_view",
        config=json.dumps({"filterable": True}),
    )  # fmt: skip
    assert table_view["order"] == 1 and table_view["filterable"] is True
    listed = api.ok("resource_view_list", id=rid)
    assert [v["id"] for v in listed] == [created["id"], table_view["id"]]
    assert api.ok("resource_view_show", id=created["id"]) == created

    line = bar_chart(rid, mark="line")
    changed = api.ok("resource_view_update", sysadmin, id=created["id"], title="เส้น", spec=json.dumps(line))
    assert changed["title"] == "เส้น" and changed["spec"]["mark"]["type"] == "line"
    assert api.ok("resource_view_show", id=created["id"])["spec"]["mark"]["type"] == "line"

    assert api.ok("resource_view_delete", sysadmin, id=created["id"]) is None
    assert [v["id"] for v in api.ok("resource_view_list", resource_id=rid)] == [table_view["id"]]
    api.error("resource_view_show", id=created["id"], status=404)


def test_only_editors_write_and_private_views_are_hidden(
    api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    rid = table(api, sysadmin, services, private=True)
    view = api.ok(
        "resource_view_create",
        sysadmin,
        resource_id=rid,
        title="t",
        view_type="vega-lite",
        spec=bar_chart(rid),
    )
    _, outsider = make_user(services, "outsider")
    api.error("resource_view_show", id=view["id"], status=404)
    api.error("resource_view_show", outsider, id=view["id"], status=404)
    api.error("resource_view_list", outsider, id=rid, status=404)
    api.error("resource_view_delete", outsider, id=view["id"], status=404)

    public = table(api, sysadmin, services, name="public-debt")
    api.error(
        "resource_view_create", outsider, status=403, resource_id=public, title="t", view_type="vega-lite",
        spec=bar_chart(public),
    )  # fmt: skip
    mine = api.ok(
        "resource_view_create",
        sysadmin,
        resource_id=public,
        title="t",
        view_type="vega-lite",
        spec=bar_chart(public),
    )
    api.error("resource_view_delete", outsider, id=mine["id"], status=403)
    api.error("resource_view_update", outsider, id=mine["id"], title="x", spec=bar_chart(public), status=403)
    api.error(
        "resource_view_create",
        status=403,
        resource_id=public,
        title="t",
        view_type="vega-lite",
        spec=bar_chart(public),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"data": {"values": [{"ภาค": "x", "หนี้สิน": 1}]}}, "spec.data"),
        ({"data": {"url": "https://evil.example/rows.json"}}, "spec.data"),
        ({"data": {"url": "//evil.example/api/3/action/datastore_search?resource_id=x"}}, "spec.data"),
        ({"data": {"url": "/api/3/action/datastore_search?resource_id=someone-elses-table"}}, "spec.data"),
        ({"mark": "rule"}, "spec.mark.type"),
        ({"mark": {"type": "bar", "href": "javascript:alert(1)"}}, "spec.mark"),
        ({"encoding": {"x": {"field": "password", "type": "nominal"}}}, "spec.encoding.x.field"),
        ({"encoding": {"href": {"field": "ภาค"}}}, "spec.encoding.href"),
        (
            {"encoding": {"x": {"field": "ภาค", "type": "nominal", "condition": {"test": "1"}}}},
            "spec.encoding.x",
        ),
        ({"transform": [{"calculate": "alert(1)", "as": "x"}]}, "spec.transform"),
        ({"params": [{"name": "p", "expr": "alert(1)"}]}, "spec.params"),
        ({"usermeta": {"embedOptions": {"loader": {"baseURL": "https://evil.example"}}}}, "spec.usermeta"),
        ({"config": {"font": "x</style><script>"}}, "spec.config.font"),
        ({"$schema": "https://evil.example/schema.json"}, "spec.$schema"),
        ({"height": 10**9}, "spec.height"),
        ({"description": "x" * 9000}, "spec"),
    ],
)
def test_a_chart_that_could_load_data_or_script_is_refused(
    api: Api, sysadmin: str, services: Services, org: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    rid = table(api, sysadmin, services)
    error = api.error(
        "resource_view_create", sysadmin, resource_id=rid, title="t", view_type="vega-lite",
        spec=json.dumps(bar_chart(rid, **changes)),
    )  # fmt: skip
    assert error["__type"] == "Validation Error" and field in error, error
    assert api.ok("resource_view_list", id=rid) == []


def test_missing_and_wrong_fields_are_named(
    api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    rid = table(api, sysadmin, services)
    assert "title" in api.error(
        "resource_view_create", sysadmin, resource_id=rid, view_type="vega-lite", spec=bar_chart(rid)
    )
    assert "view_type" in api.error(
        "resource_view_create", sysadmin, resource_id=rid, title="t", view_type="html"
    )
    assert "spec" in api.error(
        "resource_view_create", sysadmin, resource_id=rid, title="t", view_type="vega-lite"
    )
    assert "spec" in api.error(
        "resource_view_create", sysadmin, resource_id=rid, title="t", view_type="vega-lite", spec="{"
    )
    chart = bar_chart(rid)
    assert "page_url" in api.error(
        "resource_view_create", sysadmin, resource_id=rid, title="t", view_type="vega-lite", spec=chart,
        page_url="https://evil.example",
    )  # fmt: skip
    assert "title" in api.error(
        "resource_view_create",
        sysadmin,
        resource_id=rid,
        view_type="vega-lite",
        title="x" * 201,
        spec=bar_chart(rid),
    )
    api.error(
        "resource_view_create", sysadmin, resource_id="no-such", title="t", view_type="vega-lite", status=404
    )


def test_hostile_title_is_stored_as_given(
    api: Api, sysadmin: str, services: Services, org: dict[str, Any]
) -> None:
    rid = table(api, sysadmin, services)
    title = f"กราฟ {HOSTILE}"
    view = api.ok(
        "resource_view_create",
        sysadmin,
        resource_id=rid,
        title=title,
        view_type="vega-lite",
        spec=bar_chart(rid),
    )
    assert api.ok("resource_view_show", id=view["id"])["title"] == title
