"""Screenshots of the portal for the README: home, search, dataset, a resource preview with a chart
and the publisher's dataset form, taken in Debian's Chromium over the demo catalogue (a fresh SAPAN_HOME in a temporary folder).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sapan.accounts.service import ANONYMOUS, create_user, set_membership  # noqa: E402
from sapan.app import create_app  # noqa: E402
from sapan.catalog import groups  # noqa: E402
from sapan.db import transaction  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.demo.loader import load_demo  # noqa: E402
from sapan.jobs.handlers import handlers  # noqa: E402
from sapan.jobs.service import run_pending  # noqa: E402
from sapan.services import Services, build_services  # noqa: E402

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ICU = "icu-beds-by-province-2010"


PUBLISHER, PASSWORD = "somchai", "screenshot-password"


def add_publisher(services: Services) -> None:
    """A user who edits the first demo organization, to log in and show the dataset form."""
    with transaction(services.sessions) as session:
        user = create_user(session, PUBLISHER, "somchai@example.go.th", PASSWORD, fullname="สมชาย ใจดี")
        first = groups.list_groups(session, ANONYMOUS, True, all_fields=True)[0]
        set_membership(session, user, first["id"], "editor")


def serve(home: Path) -> str:
    services = build_services(Settings(home=home, embedded_worker=False))
    load_demo(services)
    add_publisher(services)
    run_pending(services, handlers())  # ingest the demo files and scan them, so previews are public
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(services=services), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def shoot(page: Page, out: Path, name: str, height: int = 900) -> None:
    page.set_viewport_size({"width": 1280, "height": height})
    page.screenshot(path=str(out / f"{name}.png"))
    print(out / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        base = serve(Path(home))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(locale="th-TH")
            page.goto(base + "/")
            shoot(page, args.out, "home")
            page.goto(base + "/dataset?q=ประชากร")
            page.click("a[data-facet=organization] >> nth=0")
            page.wait_for_load_state("networkidle")
            page.evaluate("window.scrollTo(0, 0)")
            shoot(page, args.out, "search")
            page.goto(base + f"/dataset/{ICU}")
            shoot(page, args.out, "dataset")
            page.click("ul.resources li:has(.badge) a >> nth=0")
            page.wait_for_selector("#preview table")
            page.select_option("#chart-x", "Region")
            page.select_option("#chart-y", "Total_N_Hospital")
            page.select_option("#chart-color", "Region")
            page.click("#chart-form button[type=submit]")
            page.wait_for_selector("#chart[data-rendered=true] svg")
            page.evaluate("window.scrollTo(0, 0)")
            shoot(page, args.out, "resource")
            page.locator(".chart-builder").screenshot(path=str(args.out / "chart.png"))
            print(args.out / "chart.png")
            english = browser.new_page(locale="en-US")
            english.goto(base + "/dataset?q=household+debt")
            shoot(english, args.out, "search-en")
            publisher = browser.new_page(locale="th-TH")
            publisher.goto(base + "/user/login")
            publisher.fill("#login", PUBLISHER)
            publisher.fill("#password", PASSWORD)
            publisher.click("form[action='/user/login'] button[type=submit]")
            publisher.wait_for_url("**/dashboard/datasets")
            publisher.goto(base + "/dataset/new")
            publisher.fill("#f-title", "จำนวนผู้ป่วยรายจังหวัด")
            publisher.click("form.form button[type=submit]")  # the required fields' messages
            publisher.wait_for_selector(".field-error")
            shoot(publisher, args.out, "publisher-form", height=1400)
            browser.close()


if __name__ == "__main__":
    main()
