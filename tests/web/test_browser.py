"""The portal in a real browser (Playwright driving Debian's Chromium) against uvicorn on 127.0.0.1:
a visitor searches in Thai, filters, opens a dataset, pages a preview table and draws a bar chart;
the language switch; axe-core finds no serious or critical accessibility violations.

Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it). Outside CI a missing
browser skips these tests; with CI=true it fails them. They run once, on SQLite: the pages' data
paths are covered on both databases by the in-process tests."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sapan.app import create_app
from sapan.services import Services
from tests.conftest import Api
from tests.servers import served
from tests.web.conftest import run_jobs

# The pages' data paths run on both databases in the in-process tests; a browser needs only one.
SQLITE_ONLY = pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)
pytestmark = SQLITE_ONLY
CHROMIUM = os.environ.get("SAPAN_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def live(services: Services) -> Iterator[str]:
    """The app served by a real uvicorn on 127.0.0.1 (one database: SQLite)."""
    with served(create_app(services=services)) as url:
        yield url


@pytest.fixture()
def table(api: Api, sysadmin: str, services: Services, catalogue: dict[str, Any]) -> str:
    """A 45-row table with places on debt-21 (an organization 'doh' dataset), scanned and public."""
    ds = api.ok("package_show", id="debt-21")
    resource = api.ok(
        "resource_create",
        sysadmin,
        package_id=ds["id"],
        name="ตารางหนี้สินรายจังหวัด",
        url="https://example.go.th/t.csv",
        format="CSV",
    )
    regions = ["เหนือ", "กลาง", "ใต้", "อีสาน"]
    records = [
        {
            "จังหวัด": f"จังหวัด {n:02d}",
            "ภาค": regions[n % 4],
            "หนี้สิน": 1000 + n * 10,
            "lat": 13 + n / 10,
            "lon": 100 + n / 20,
        }
        for n in range(45)
    ]
    fields = [{"id": "จังหวัด", "type": "text"}, {"id": "ภาค", "type": "text"}, {"id": "หนี้สิน", "type": "int"},
              {"id": "lat", "type": "numeric"}, {"id": "lon", "type": "numeric"}]  # fmt: skip
    api.ok("datastore_create", sysadmin, resource_id=resource["id"], fields=fields, records=records)
    run_jobs(services)
    return str(resource["id"])


def _page(browser: Any, locale: str, **options: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page, problems


def test_visitor_searches_filters_previews_and_charts(browser: Any, live: str, table: str) -> None:
    from playwright.sync_api import expect

    page, problems = _page(browser, "th-TH")
    page.goto(live + "/")
    page.fill("#q", "หนี้สิน")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/dataset\?q="))
    assert "พบ 25 ชุดข้อมูล" in page.inner_text("#count")
    page.click("a[data-facet=organization]:has-text('กรมอนามัย')")  # HTMX swaps the results
    expect(page.locator("#count")).to_contain_text("พบ 5 ชุดข้อมูล")
    assert "organization=doh" in page.url  # the filtered page has its own address
    page.click("a[href='/dataset/debt-21']")
    page.wait_for_url(re.compile(r"/dataset/debt-21$"))
    page.click("text=ตารางหนี้สินรายจังหวัด")
    page.wait_for_selector("#preview table")
    assert "แถวที่ 1–20 จาก 45" in page.inner_text("#preview")
    page.click("#preview a[rel=next]")
    expect(page.locator("#preview [role=status]")).to_contain_text("แถวที่ 21–40 จาก 45")
    assert page.locator("#preview tbody tr").first.inner_text().startswith("จังหวัด 20")
    page.select_option("#chart-mark", "bar")
    page.select_option("#chart-x", "ภาค")
    page.select_option("#chart-y", "หนี้สิน")
    page.select_option("#chart-aggregate", "sum")
    page.click("#chart-form button[type=submit]")
    page.wait_for_selector("#chart[data-rendered=true] svg")
    assert page.locator("#chart svg .mark-rect path").count() == 4  # one bar per region
    page.wait_for_selector("#map[data-rendered=true]")
    assert page.locator("#map path.leaflet-interactive").count() == 45
    assert not problems, problems  # no script errors, no CSP refusals


def test_language_switch_changes_labels_and_dates(browser: Any, live: str, table: str) -> None:
    from playwright.sync_api import expect

    page, problems = _page(browser, "th-TH")
    page.goto(live + "/dataset/debt-21")
    when = page.locator("main time").first
    iso_year = int(when.get_attribute("datetime")[:4])
    assert str(iso_year + 543) in when.inner_text()
    assert page.inner_text("#res-title") == "ข้อมูลและทรัพยากร"
    page.click("header a.lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.inner_text("#res-title") == "Data and resources"
    assert str(iso_year) in page.locator("main time").first.inner_text()
    page.goto(live + "/dataset")  # remembered in the cookie
    assert page.inner_text("h1") == "Datasets"
    assert not problems, problems


@pytest.mark.parametrize("language", ["th-TH", "en-US"])
def test_main_pages_have_no_serious_accessibility_violations(
    browser: Any, live: str, table: str, language: str
) -> None:
    # axe is injected past the CSP (bypass_csp): the pages themselves allow only their own scripts
    page, _ = _page(browser, language, bypass_csp=True)
    paths = [
        "/",
        "/dataset?q=หนี้สิน",
        "/dataset/debt-21",
        f"/dataset/debt-21/resource/{table}",
        "/organization",
    ]
    for path in paths:
        page.goto(live + path)
        if "/resource/" in path:
            page.click("#chart-form button[type=submit]")
            page.wait_for_selector("#chart[data-rendered=true] svg")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))"
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not serious, (path, serious)
