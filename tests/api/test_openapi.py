"""The OpenAPI document lists every action."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sapan.api.actions import ACTIONS


def test_every_action_is_documented(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    for name, action in ACTIONS.items():
        entry = paths[f"/api/3/action/{name}"]
        assert "post" in entry
        assert ("get" in entry) is (not action.write), name
        assert entry["post"]["summary"], name
    assert client.get("/api/docs").status_code == 200
