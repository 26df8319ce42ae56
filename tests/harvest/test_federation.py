"""Federation end to end: two real Sapan servers on 127.0.0.1, a "th" node and an "sg" node with their
own SAPAN_HOMEs. sg harvests th under a data-flow agreement that both portals record: th's public data
crosses with its provenance, its private and classified data never do, changes and deletions follow, a
lapsed or revoked agreement stops the flow, and both audit logs record every transfer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from sapan.db import transaction, utcnow
from sapan.governance.models import DataFlowAgreement
from sapan.jobs.handlers import handlers
from sapan.jobs.service import run_pending
from tests.conftest import fresh_database_url, gdc_dataset
from tests.harvest.nodes import Node, sapan_node

NEXT_YEAR = (utcnow() + timedelta(days=365)).date().isoformat()


def call(node: Node, action: str, token: str = "", **data: Any) -> Any:
    """An action over real HTTP, as another portal or a client would send it."""
    headers = {"Authorization": token} if token else {}
    body = httpx.post(f"{node.url}/api/3/action/{action}", json=data, headers=headers, timeout=30).json()
    assert body["success"], body
    return body["result"]


@pytest.fixture(params=["sqlite", "postgresql"])
def nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """th on SQLite; sg on SQLite or on a fresh PostgreSQL schema."""
    databases = fresh_database_url(request.param, request.getfixturevalue("tmp_path_factory"))
    with sapan_node(tmp_path / "th") as th, sapan_node(tmp_path / "sg", next(databases)) as sg:
        call(th, "organization_create", th.token, name="nso", title="สำนักงานสถิติแห่งชาติ")
        yield th, sg
    databases.close()  # drops the PostgreSQL schema


def publish(th: Node, name: str, title: str, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = call(
        th, "package_create", th.token, **gdc_dataset(name=name, title=title, owner_org="nso", **fields)
    )
    return result


def harvest(sg: Node, source_id: str) -> dict[str, Any]:
    """Run now: harvest_job_create, sg's worker runs the job, the job as harvest_job_show answers it."""
    job = call(sg, "harvest_job_create", sg.token, source_id=source_id)
    run_pending(sg.services, handlers())
    result: dict[str, Any] = call(sg, "harvest_job_show", sg.token, id=job["id"])
    return result


def audit(node: Node, action: str) -> list[dict[str, Any]]:
    return [e for e in call(node, "audit_list", node.token, limit=1000) if e["action"] == action]


def test_sg_harvests_th_under_an_agreement(nodes: tuple[Node, Node]) -> None:
    th, sg = nodes
    debt = publish(th, "household-debt", "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน จำแนกตามภาค")
    rice = publish(th, "rice-yield", "ผลผลิตข้าวนาปี รายจังหวัด")
    publish(th, "internal-budget", "งบประมาณภายใน", private=True)
    publish(
        th, "confidential-list", "รายชื่อลับ", private=True,
        data_category="ข้อมูลความมั่นคง", data_classification="ลับ",
    )  # fmt: skip
    # Each portal records the agreement: th's answers sg's token once; sg's governs what comes in.
    outbound = call(
        th, "partner_create", th.token, name="sg", country="SG", base_url=sg.url, expires=NEXT_YEAR
    )
    call(sg, "partner_create", sg.token, name="th", country="TH", base_url=th.url, expires=NEXT_YEAR)
    config = json.dumps({"api_token": outbound["token"], "timeout": 5})
    source = call(
        sg, "harvest_source_create", sg.token, name="data-go-th", title="Thailand", url=th.url,
        source_type="ckan", frequency="MANUAL", config=config,
    )  # fmt: skip

    job = harvest(sg, source["id"])
    assert job["status"] == "Finished", job
    assert job["stats"]["added"] == 2, job
    arrived = call(sg, "package_show", id="household-debt")
    assert arrived["id"] == debt["id"] and arrived["title"] == debt["title"]
    provenance = {e["key"]: e["value"] for e in arrived["extras"]}  # as ckanext-harvest shows it
    assert (
        provenance["harvest_source_title"] == "Thailand" and provenance["harvest_source_id"] == source["id"]
    )
    assert provenance["harvest_original_id"] == debt["id"]
    assert provenance["harvest_original_url"] == f"{th.url}/dataset/household-debt"
    assert arrived["license_id"] == debt["license_id"]
    assert arrived["data_classification"] == "เปิดเผย"
    assert call(sg, "package_search", q="หนี้สินครัวเรือน")["results"][0]["id"] == debt["id"]
    for name in ("internal-budget", "confidential-list"):  # never crossed, not even as a refusal
        answer = httpx.post(
            f"{sg.url}/api/3/action/package_show", json={"id": name}, headers={"Authorization": sg.token}
        )
        assert answer.status_code == 404
    everything = call(sg, "package_search", sg.token, rows=100, include_private=True)["results"]
    assert {d["name"] for d in everything} == {"household-debt", "rice-yield"}

    # th's side: the transfer to sg is in th's audit log with the datasets and bytes
    sent = audit(th, "partner.transfer")
    assert sent and all(e["details"]["partner"] == "sg" for e in sent)
    sent_ids = {i for e in sent for i in e["details"]["datasets"]}
    assert {debt["id"], rice["id"]} <= sent_ids
    assert sum(e["details"]["bytes"] for e in sent) > 0
    # sg's side: the harvest run
    [received] = audit(sg, "harvest.transfer")
    assert sorted(received["details"]["created"]) == sorted([debt["id"], rice["id"]])
    assert received["details"]["partner_url"] == th.url and received["details"]["bytes"] > 0

    # an update on th shows on sg after the next run; a deletion propagates
    call(th, "package_patch", th.token, id=debt["id"], title="หนี้สินครัวเรือน พ.ศ. 2566")
    call(th, "package_delete", th.token, id=rice["id"])
    job = harvest(sg, source["id"])
    assert (job["stats"]["updated"], job["stats"]["deleted"]) == (1, 1), job
    assert call(sg, "package_show", id="household-debt")["title"] == "หนี้สินครัวเรือน พ.ศ. 2566"
    gone = httpx.post(f"{sg.url}/api/3/action/package_show", json={"id": "rice-yield"})
    assert gone.status_code == 404

    # sg's own record of the agreement lapsing stops the flow before anything is read
    with transaction(sg.services.sessions) as session:
        session.execute(update(DataFlowAgreement).values(expires_at=utcnow() - timedelta(days=1)))
    call(th, "package_patch", th.token, id=debt["id"], title="ถูกแก้หลังหมดอายุ")
    job = harvest(sg, source["id"])
    assert job["status"] == "Failed" and "expired" in job["error"], job
    assert call(sg, "package_show", id="household-debt")["title"] == "หนี้สินครัวเรือน พ.ศ. 2566"
    with transaction(sg.services.sessions) as session:
        session.execute(update(DataFlowAgreement).values(expires_at=utcnow() + timedelta(days=30)))

    # th revokes: sg's token is refused, the run fails and what sg holds stays as it was
    call(th, "partner_revoke", th.token, id="sg", reason="ทบทวนข้อตกลง")
    job = harvest(sg, source["id"])
    assert job["status"] == "Failed" and "revoked" in job["error"], job
    assert call(sg, "package_show", id="household-debt")["title"] == "หนี้สินครัวเรือน พ.ศ. 2566"
    assert audit(th, "partner.refused"), "th records the refused request"


def test_an_agreement_narrows_what_comes_in(nodes: tuple[Node, Node]) -> None:
    """sg's agreement with th allows nothing of the public category: th's data is read but not published."""
    th, sg = nodes
    publish(th, "household-debt", "จำนวนหนี้สินเฉลี่ยต่อครัวเรือน")
    call(
        sg, "partner_create", sg.token, name="th", country="TH", base_url=th.url, expires=NEXT_YEAR,
        allowed_data_categories=["ข้อมูลใช้ภายใน"],
    )  # fmt: skip
    source = call(
        sg, "harvest_source_create", sg.token, name="data-go-th", url=th.url, source_type="ckan",
        frequency="MANUAL", config=json.dumps({"timeout": 5}),
    )  # fmt: skip
    job = harvest(sg, source["id"])
    assert job["status"] == "Finished" and job["stats"]["added"] == 0, job
    [skipped] = [r for r in job["report"] if r["action"] == "skipped"]
    assert "not allowed by the agreement with th" in skipped["reason"]
    assert call(sg, "package_search", q="หนี้สิน")["count"] == 0
