"""Rate limits per client address and per API token: 429 in CKAN's envelope with Retry-After, the
X-RateLimit-* headers, free routes, trusted proxies; on the real Redis of the machine, one count shared
by two servers and a login throttle shared by two apps; an unreachable Redis lets requests through."""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sapan.app import create_app
from sapan.services import Services
from tests.conftest import make_user
from tests.servers import free_port, served
from tests.web.publishing import csrf_of

REDIS = "redis://127.0.0.1:6379/0"


# Limits per hour, not per minute: the sliding-window counter lets one extra request through when a
# test's requests straddle a window boundary, which a minute's window makes likely enough to flake.


def app_with(services: Services, **settings: Any) -> FastAPI:
    return create_app(services.settings.model_copy(update=settings), services)


@pytest.fixture()
def redis_prefix() -> str:
    """A key prefix of its own on the machine's Redis (required in CI)."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI and is not reachable at {REDIS}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS}")
    return f"sapan-test-{uuid.uuid4().hex[:12]}"


def assert_refused(response: httpx.Response, action: str = "site_read") -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/json"
    assert 1 <= int(response.headers["retry-after"]) <= 3600
    assert response.headers["x-ratelimit-remaining"] == "0"
    body = response.json()
    assert body["success"] is False and body["help"].endswith(f"help_show?name={action}")
    assert body["error"]["__type"] == "Rate Limit Exceeded"
    assert "the limit is 3 per 1 hour" in body["error"]["message"]


def test_anonymous_limit_per_address_with_headers_and_envelope(services: Services) -> None:
    app = app_with(services, rate_limit_anonymous="3/hour", rate_limit_token="5/hour")
    with TestClient(app) as client:
        for remaining in (2, 1, 0):
            ok = client.get("/api/3/action/site_read")
            assert ok.status_code == 200 and ok.json()["result"] is True
            assert ok.headers["x-ratelimit-limit"] == "3"
            assert ok.headers["x-ratelimit-remaining"] == str(remaining)
            assert int(ok.headers["x-ratelimit-reset"]) >= int(time.time())
        assert_refused(client.get("/api/3/action/site_read"))
        assert_refused(client.post("/api/3/action/package_search", json={"q": "ภาษี"}), "package_search")
        assert client.get("/datastore/dump/nothing").status_code == 429  # dumps and downloads count too
        for free in ("/", "/dataset", "/healthz", "/static/sapan.css", "/user/login"):
            answer = client.get(free)
            assert answer.status_code != 429 and "x-ratelimit-limit" not in answer.headers, free


def test_token_limit_is_separate_from_the_address_limit(services: Services) -> None:
    _, token = make_user(services, "somchai")
    app = app_with(services, rate_limit_anonymous="3/hour", rate_limit_token="5/hour")
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/api/3/action/site_read").status_code == 200
        assert client.get("/api/3/action/site_read").status_code == 429
        for remaining in range(4, -1, -1):  # the token has its own count, from the same address
            ok = client.get("/api/3/action/site_read", headers={"Authorization": token})
            assert ok.status_code == 200 and ok.headers["x-ratelimit-remaining"] == str(remaining)
            assert ok.headers["x-ratelimit-limit"] == "5"
        refused = client.get("/api/3/action/site_read", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 429 and refused.json()["error"]["__type"] == "Rate Limit Exceeded"
        # A made-up token is no way around the address's limit.
        assert client.get("/api/3/action/site_read", headers={"Authorization": "made-up"}).status_code == 429


def test_empty_or_zero_turns_limits_off(services: Services) -> None:
    app = app_with(services, rate_limit_anonymous="0", rate_limit_token="")
    with TestClient(app) as client:
        for _ in range(20):
            answer = client.get("/api/3/action/site_read")
            assert answer.status_code == 200 and "x-ratelimit-limit" not in answer.headers


def test_forwarded_for_counts_only_behind_a_trusted_proxy(services: Services) -> None:
    def spend(url: str, forwarded: str) -> int:
        answer = httpx.get(f"{url}/api/3/action/site_read", headers={"X-Forwarded-For": forwarded})
        return answer.status_code

    trusting = app_with(services, rate_limit_anonymous="2/hour", trusted_proxies="127.0.0.1, 10.0.0.0/8")
    with served(trusting) as url:
        assert [spend(url, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
        assert spend(url, "203.0.113.8, 10.1.2.3") == 200  # another client, through two of our proxies
        assert spend(url, "203.0.113.7, 10.1.2.3") == 429
    distrusting = app_with(services, rate_limit_anonymous="2/hour")
    # Without trusted proxies (neither Sapan's nor uvicorn's) the header is the client's to forge.
    with served(distrusting, proxy_headers=False) as url:
        assert [spend(url, f"198.51.100.{i}") for i in range(3)] == [200, 200, 429]


def test_two_servers_on_one_redis_share_one_limit(services: Services, redis_prefix: str) -> None:
    settings = {
        "rate_limit_storage_url": REDIS,
        "rate_limit_key_prefix": redis_prefix,
        "rate_limit_anonymous": "3/hour",
        "rate_limit_token": "4/hour",
    }
    _, token = make_user(services, "somsri")
    with served(app_with(services, **settings)) as one, served(app_with(services, **settings)) as two:
        assert httpx.get(f"{one}/api/3/action/site_read").status_code == 200
        assert httpx.get(f"{two}/api/3/action/site_read").status_code == 200
        assert httpx.get(f"{one}/api/3/action/site_read").headers["x-ratelimit-remaining"] == "0"
        refused = httpx.get(f"{two}/api/3/action/site_read")
        assert_refused(refused)
        auth = {"Authorization": token}
        codes = [
            httpx.get(f"{url}/api/3/action/site_read", headers=auth).status_code for url in [one, two] * 3
        ]
        assert codes == [200, 200, 200, 200, 429, 429]
    keys = redis.Redis.from_url(REDIS).keys(f"{redis_prefix}*")
    assert keys and not any(token.encode() in key for key in keys)  # the token's id, never the token


def test_the_login_throttle_holds_across_apps_on_one_redis(services: Services, redis_prefix: str) -> None:
    make_user(services, "malee")
    settings = {"rate_limit_storage_url": REDIS, "rate_limit_key_prefix": redis_prefix}
    with TestClient(app_with(services, **settings)) as one, TestClient(app_with(services, **settings)) as two:
        for client in [one, two] * 5:
            form = csrf_of(client.get("/user/login").text)
            answer = client.post(
                "/user/login", data={"login": "malee", "password": "wrong", "csrf_token": form}
            )
            assert answer.status_code == 200
        form = csrf_of(one.get("/user/login").text)
        limited = one.post(
            "/user/login", data={"login": "malee", "password": "correct horse", "csrf_token": form}
        )
        assert limited.status_code == 429 and 850 <= int(limited.headers["retry-after"]) <= 900


def test_an_unreachable_redis_lets_requests_through_with_a_warning(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = app_with(services, rate_limit_storage_url=closed, rate_limit_anonymous="1/hour")
    with caplog.at_level(logging.WARNING, logger="sapan.ratelimit"), TestClient(app) as client:
        started = time.monotonic()
        for _ in range(3):
            answer = client.get("/api/3/action/site_read")
            assert answer.status_code == 200 and "x-ratelimit-limit" not in answer.headers
        form = csrf_of(client.get("/user/login").text)
        login = client.post("/user/login", data={"login": "nobody", "password": "x", "csrf_token": form})
        assert login.status_code == 200  # the login page still works (unthrottled)
        assert time.monotonic() - started < 5
    warnings = [r.getMessage() for r in caplog.records if r.name == "sapan.ratelimit"]
    assert warnings and "unreachable" in warnings[0] and closed.split("//")[1] in warnings[0]


def test_the_login_throttle_counts_the_forwarded_address_behind_a_trusted_proxy(services: Services) -> None:
    app = app_with(services, trusted_proxies="127.0.0.1")
    with served(app, proxy_headers=False) as url, httpx.Client(base_url=url) as client:

        def attempt(address: str, name: str) -> int:
            form = csrf_of(client.get("/user/login").text)
            data = {"login": name, "password": "wrong", "csrf_token": form}
            return client.post("/user/login", data=data, headers={"X-Forwarded-For": address}).status_code

        assert {attempt("203.0.113.7", f"guess{i}") for i in range(10)} == {200}
        assert attempt("203.0.113.7", "another") == 429  # that address is throttled, whatever the name
        assert attempt("203.0.113.8", "another") == 200  # another client behind the same proxy is not
