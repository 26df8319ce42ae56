"""The publisher in a real browser (Playwright, Debian's Chromium, uvicorn on 127.0.0.1): logs in,
fills the form generated from the profile, uploads a TIS-620 CSV through the progress-bar upload,
watches the ingest finish, publishes and finds the dataset in search; axe-core on the login page and
the dataset form. Once, on SQLite, like test_browser.py (whose fixtures these reuse)."""

from __future__ import annotations

import threading
import time
from typing import Any

from sapan.services import Services
from tests.conftest import GDC_FIELDS, Api
from tests.web.conftest import run_jobs
from tests.web.publishing import PASSWORD, editor
from tests.web.test_browser import AXE, SQLITE_ONLY, _page, browser, live  # noqa: F401 - pytest fixtures
from tests.web.test_publish import TIS620_CSV

pytestmark = SQLITE_ONLY

AXE_RUN = (
    "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
    "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
    ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))"
)


def _serious(page: Any) -> list[Any]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


def _log_in(page: Any, site: str, name: str) -> None:
    page.goto(f"{site}/user/login")
    page.fill("#login", name)
    page.fill("#password", PASSWORD)
    page.click("form[action='/user/login'] button[type=submit]")
    page.wait_for_url(f"{site}/dashboard/datasets")


def _worker(services: Services, stop: threading.Event) -> None:
    """The embedded worker's part: the live app shares the tests' services and starts none."""
    while not stop.is_set():
        run_jobs(services)
        time.sleep(0.2)


def test_publisher_creates_uploads_watches_publishes_and_finds(
    browser: Any,  # noqa: F811
    live: str,  # noqa: F811
    api: Api,
    sysadmin: str,
    services: Services,
    org: dict[str, Any],
) -> None:
    from playwright.sync_api import expect

    name = editor(api, sysadmin, services)
    page, problems = _page(browser, "th-TH")
    _log_in(page, live, name)
    expect(page.locator("header .account")).to_contain_text(name)
    page.click("text=เพิ่มชุดข้อมูล")
    expect(page.locator("label[for=f-data_type]")).to_contain_text("ประเภทชุดข้อมูล")
    page.fill("#f-title", "ผู้ป่วยรายจังหวัด เบราว์เซอร์")
    for field in (
        "data_type",
        "update_frequency_unit",
        "geo_coverage",
        "data_category",
        "data_classification",
    ):
        page.select_option(f"#f-{field}", GDC_FIELDS[field])
    page.select_option("#f-license_id", "cc-by")
    for field in ("maintainer", "maintainer_email", "data_source", "notes"):
        page.fill(f"#f-{field}", GDC_FIELDS[field])
    page.fill("#f-tag_string", "สุขภาพ, ผู้ป่วย")
    page.check(f"input[name=objective][value='{GDC_FIELDS['objective'][0]}']")
    page.check("input[name=data_format][value=CSV]")
    page.click("form.form button[type=submit]")

    page.wait_for_url("**/resource/new")
    page.set_input_files(
        "#f-upload", files=[{"name": "patients.csv", "mimeType": "text/csv", "buffer": TIS620_CSV}]
    )
    with page.expect_request(lambda r: r.method == "POST" and r.headers.get("accept") == "application/json"):
        page.click("form[data-upload] button[type=submit]")  # upload.js: XMLHttpRequest with progress
    expect(page.locator("#upload-progress")).to_be_visible()
    page.wait_for_url("**/ingest")
    stop = threading.Event()
    worker = threading.Thread(target=_worker, args=(services, stop), daemon=True)
    worker.start()
    try:
        expect(page.locator("#ingest[data-state=done]")).to_be_visible(timeout=30_000)  # HTMX polled
    finally:
        stop.set()
        worker.join(timeout=30)
    expect(page.locator("#report-rows")).to_have_text("3")
    expect(page.locator("#report-encoding")).to_contain_text("874")

    page.click("text=แก้ไขและเผยแพร่")
    page.click("#publish")
    page.wait_for_url("**/dataset/*")
    page.goto(f"{live}/dataset?q=ผู้ป่วย")
    expect(page.locator("#results")).to_contain_text("ผู้ป่วยรายจังหวัด เบราว์เซอร์")
    anonymous, _ = _page(browser, "th-TH")
    anonymous.goto(f"{live}/dataset?q=ผู้ป่วย")
    expect(anonymous.locator("#results")).to_contain_text("ผู้ป่วยรายจังหวัด เบราว์เซอร์")  # public now
    assert not problems, problems


def test_login_page_and_dataset_form_have_no_serious_accessibility_violations(
    browser: Any,  # noqa: F811
    live: str,  # noqa: F811
    api: Api,
    sysadmin: str,
    services: Services,
    org: dict[str, Any],
) -> None:
    name = editor(api, sysadmin, services)
    for language in ("th-TH", "en-US"):
        page, _ = _page(browser, language, bypass_csp=True)  # axe is injected past the CSP
        page.goto(f"{live}/user/login")
        assert not _serious(page), ("login", language)
        _log_in(page, live, name)
        page.goto(f"{live}/dataset/new")
        page.click("form.form button[type=submit]")  # errors shown next to the fields
        page.wait_for_selector(".field-error")
        assert not _serious(page), ("dataset form", language)
