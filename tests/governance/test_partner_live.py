"""A partner portal harvesting over the network: a real uvicorn server on 127.0.0.1 and httpx with the
partner's token, against package_search and the DCAT catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sapan.app import create_app
from sapan.services import Services
from tests.conftest import Api, gdc_dataset
from tests.governance.test_agreements import PUBLIC_TITLE, SECRET, SECRET_TITLE, agreement
from tests.servers import served


@pytest.fixture()
def live(services: Services) -> Iterator[str]:
    with served(create_app(services=services)) as url:
        yield url


def test_partner_harvests_over_http(live: str, api: Api, sysadmin: str, org: dict[str, Any]) -> None:
    public = api.ok(
        "package_create", sysadmin, **gdc_dataset(name="icu-beds", title=PUBLIC_TITLE, owner_org="nso")
    )
    api.ok("package_create", sysadmin, **gdc_dataset(name="budget", title=SECRET_TITLE, owner_org="nso",
                                                     private=True, **SECRET))  # fmt: skip
    token = agreement(api, sysadmin, base_url=live)["token"]
    with httpx.Client(base_url=live, headers={"Authorization": token}, timeout=30) as partner:
        found = partner.get("/api/3/action/package_search", params={"rows": 100, "include_private": "true"})
        assert found.status_code == 200
        assert [r["title"] for r in found.json()["result"]["results"]] == [PUBLIC_TITLE]
        catalog = partner.get("/catalog.ttl")
        assert (
            catalog.status_code == 200 and PUBLIC_TITLE in catalog.text and SECRET_TITLE not in catalog.text
        )
        assert partner.get("/api/3/action/package_show", params={"id": "budget"}).status_code == 404
    api.ok("partner_revoke", sysadmin, id="sg-portal")
    with httpx.Client(base_url=live, headers={"Authorization": token}, timeout=30) as partner:
        refused = partner.get("/api/3/action/package_search")
        assert refused.status_code == 403 and "revoked" in refused.json()["error"]["message"]
        assert partner.get("/catalog.ttl").status_code == 403
    transfers = [e for e in api.ok("audit_list", sysadmin) if e["action"] == "partner.transfer"]
    by_channel = {e["details"]["channel"]: e["details"] for e in transfers}
    assert by_channel["package_search"]["datasets"] == [public["id"]]
    assert by_channel["package_search"]["bytes"] == len(found.content)
    assert by_channel["dcat.catalog.ttl"]["bytes"] == len(catalog.content)
    assert {e["ip"] for e in transfers} == {"127.0.0.1"}  # the partner's address, on every channel
