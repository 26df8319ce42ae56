"""`sapan partner add|list|revoke`: add prints only the token (scripts capture it), once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sapan.accounts.service import actor_for_token
from sapan.cli import app
from sapan.config import Settings
from sapan.db import transaction
from sapan.errors import NotAuthorized
from sapan.governance.audit import entries
from sapan.services import build_services


def test_partner_add_list_revoke(env: Path) -> None:
    runner = CliRunner()
    args = ["partner", "add", "sg-portal", "--country", "SG", "--base-url", "https://data.sg.example",
            "--expires", "2099-12-31", "--title", "ศูนย์ข้อมูลเปิดสิงคโปร์", "--purpose", "research"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and len(token) > 40  # only the token on stdout
    result = runner.invoke(app, ["partner", "list"])
    assert result.stdout == "sg-portal\tSG\tactive\t2099-12-31T00:00:00\thttps://data.sg.example\n"
    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            actor = actor_for_token(session, token)
            assert actor.partner is not None and actor.partner.partner == "sg-portal"
        bad = runner.invoke(app, [*args[:2], "th-portal", "--country", "XX", *args[5:]])
        assert bad.exit_code == 1 and "country" in bad.output and "Traceback" not in bad.output
        result = runner.invoke(app, ["partner", "revoke", "sg-portal", "--reason", "สิ้นสุดข้อตกลง"])
        assert result.exit_code == 0, result.output
        assert runner.invoke(app, ["partner", "list"]).stdout.split("\t")[2] == "revoked"
        with transaction(services.sessions) as session:
            with pytest.raises(NotAuthorized, match="revoked"):
                actor_for_token(session, token)
            actions = [(e.actor, e.action) for e in entries(session, {"object_type": "data_flow_agreement"})]
        assert actions == [("cli", "partner.revoke"), ("cli", "partner.create")]
    finally:
        services.close()
    assert runner.invoke(app, ["partner", "revoke", "nobody"]).exit_code == 1
