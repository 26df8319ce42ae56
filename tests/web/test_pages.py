"""The first portal pages: home with search, dataset pages, private stays hidden."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api, gdc_dataset


def test_home_and_dataset_pages_show_thai_metadata(
    client: TestClient, api: Api, sysadmin: str, org: dict[str, Any]
) -> None:
    api.ok("package_create", sysadmin, name="debt", owner_org="nso", **gdc_dataset())
    api.ok(
        "package_create", sysadmin, name="hidden", owner_org="nso", private=True, **gdc_dataset(title="ลับ")
    )
    home = client.get("/", params={"q": "หนี้สิน"})
    assert home.status_code == 200
    assert "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน" in home.text and "/dataset/hidden" not in home.text
    page = client.get("/dataset/debt")
    assert page.status_code == 200
    assert "หมวดหมู่ข้อมูลตามธรรมาภิบาลข้อมูลภาครัฐ" in page.text  # the profile's Thai label
    assert "ข้อมูลสาธารณะ" in page.text
    assert client.get("/dataset/hidden").status_code == 404
    assert client.get("/dataset/nothing-here").status_code == 404
