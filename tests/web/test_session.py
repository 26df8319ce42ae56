"""The session cookie's signature and lifetime, its Secure flag on https sites, and the login throttle."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi.testclient import TestClient

from sapan.api.ratelimit import RateLimitStore
from sapan.app import create_app
from sapan.config import Settings
from sapan.web import session
from sapan.web.throttle import LoginThrottle, keys_for


def test_cookie_signature_and_age() -> None:
    value = session.PortalSession("csrf", 1_000_000, "user-id", "somchai", "stamp")
    cookie = session.encode(b"k" * 32, value)
    assert session.decode(b"k" * 32, cookie, now=1_000_100) == value
    assert session.decode(b"x" * 32, cookie, now=1_000_100) is None  # another key
    assert session.decode(b"k" * 32, cookie, now=1_000_000 + session.MAX_AGE + 1) is None  # too old
    payload, signature = cookie.split(".")
    assert session.decode(b"k" * 32, payload.replace("s", "t") + "." + signature, now=1_000_100) is None
    assert session.decode(b"k" * 32, "garbage", now=0) is None


def test_secure_cookie_on_an_https_site(tmp_path: Any) -> None:
    settings = Settings(home=tmp_path, site_url="https://data.example.go.th", embedded_worker=False)
    with TestClient(create_app(settings)) as client:
        cookie = client.get("/user/login").headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_throttle_counts_failures_per_key_in_a_window() -> None:
    throttle = LoginThrottle(RateLimitStore("memory://"), limit=3, window=2)
    keys = keys_for("10.0.0.1", "Somchai ")
    assert keys == ("ip:10.0.0.1", "user:somchai")

    async def scenario() -> None:
        for _ in range(3):
            assert await throttle.retry_after(keys) == 0
            await throttle.failed(keys)
        assert await throttle.retry_after(keys) == 2
        assert await throttle.retry_after(keys_for("10.0.0.2", "somchai")) == 2  # the name, from elsewhere
        assert await throttle.retry_after(keys_for("10.0.0.1", "other")) == 2  # the address, another name
        assert await throttle.retry_after(keys_for("10.0.0.2", "other")) == 0
        await throttle.forget(keys[1])  # a successful login clears its name, not its address
        assert await throttle.retry_after(keys_for("10.0.0.2", "somchai")) == 0
        await anyio.sleep(2.1)
        assert await throttle.retry_after(keys) == 0  # the window slid past the failures

    anyio.run(scenario)
