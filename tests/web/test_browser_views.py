"""Saving a chart as a view in a real browser (Playwright, Debian's Chromium, uvicorn on 127.0.0.1):
an editor builds a bar chart, saves it as a view, reloads, and the saved view draws its SVG from the
DataStore's rows; no script errors or CSP refusals. Once, on SQLite, like test_browser.py."""

from __future__ import annotations

from typing import Any

from sapan.services import Services
from tests.conftest import Api
from tests.web.publishing import editor
from tests.web.test_browser import SQLITE_ONLY, _page, browser, live, table  # noqa: F401 - pytest fixtures
from tests.web.test_browser_publish import _log_in

pytestmark = SQLITE_ONLY


def test_editor_saves_a_bar_chart_as_a_view_and_it_draws_after_a_reload(
    browser: Any,  # noqa: F811
    live: str,  # noqa: F811
    table: str,  # noqa: F811
    api: Api,
    sysadmin: str,
    services: Services,
) -> None:
    name = editor(api, sysadmin, services, name="chartist", org="doh")
    page, problems = _page(browser, "th-TH")
    _log_in(page, live, name)
    page.goto(f"{live}/dataset/debt-21/resource/{table}")
    page.select_option("#chart-mark", "bar")
    page.select_option("#chart-x", "ภาค")
    page.select_option("#chart-y", "หนี้สิน")
    page.select_option("#chart-aggregate", "sum")
    page.click("#chart-form button[type=submit]")
    page.wait_for_selector("#chart[data-rendered=true] svg")
    page.fill("#view-title", "หนี้สินรวมรายภาค")
    page.click("#view-form button[type=submit]")
    page.wait_for_url(f"**/resource/{table}#view-*")

    (view,) = api.ok("resource_view_list", id=table)
    assert view["title"] == "หนี้สินรวมรายภาค" and view["spec"]["mark"]["type"] == "bar"
    assert view["spec"]["encoding"]["x"]["field"] == "ภาค" and "values" not in view["spec"]["data"]
    page.reload()
    saved = f".saved-chart[data-view='{view['id']}']"
    page.wait_for_selector(f"{saved}[data-rendered=true] svg")
    assert page.locator(f"{saved} svg .mark-rect path").count() == 4  # one bar per region
    assert "หนี้สินรวมรายภาค" in page.inner_text(f"#view-{view['id']} figcaption")
    assert not problems, problems
