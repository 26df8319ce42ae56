"""Rate limits per API token and per client address, counted in a `limits` storage: the process's
memory by default, Redis in production so that every process and machine shares one count. Applies
to the API, downloads, dumps and the DCAT catalogue; health checks, pages and static files are free."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sapan.api.envelope import help_url

log = logging.getLogger("sapan.ratelimit")
T = TypeVar("T")
LIMITED = re.compile(r"^/(api/|datastore/dump/|catalog\.|dataset/[^/]+/resource/[^/]+/download/)")
ACTION = re.compile(r"^/api/(?:3/)?action/([^/]+)")
OUTAGE_SECONDS = 5.0  # after a storage error, requests pass unchecked this long (no per-request stall)


def parse_limits(text: str) -> list[RateLimitItem]:
    """`120/minute`, `1000/hour;20/second`; empty or `0` means no limit. ValueError for bad syntax."""
    text = text.strip()
    return [] if text in ("", "0") else parse_many(text)


class RateLimitStore:
    """One `limits` storage for the app: the API's limits and the portal's login throttle. Every call
    fails open: while the storage (Redis) cannot be reached, it answers None and logs a warning."""

    def __init__(self, url: str, key_prefix: str = "sapan") -> None:
        options: dict[str, Any] = {"key_prefix": key_prefix}
        self.remote = not url.startswith("memory")
        if url.startswith(("redis", "valkey")):  # a stalled Redis must not stall requests
            options |= {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        self.url = url.split("@")[-1]  # no password in the logs
        self.storage = storage_from_string(url, **options)
        self.sliding = SlidingWindowCounterRateLimiter(self.storage)
        self.moving = MovingWindowRateLimiter(self.storage)
        self._down_until = 0.0

    def guarded(self, func: Callable[..., T], *args: Any) -> T | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            return func(*args)
        except Exception as exc:  # noqa: BLE001 - redis' and the OS's errors alike: never take the site down
            self._down_until = time.monotonic() + OUTAGE_SECONDS
            log.warning("Rate-limit storage %s unreachable, requests pass unlimited: %s", self.url, exc)
            return None

    async def run(self, func: Callable[..., T], *args: Any) -> T | None:
        """func(*args) off the event loop when it talks to Redis; None while the storage is down."""
        if self.remote:
            return await anyio.to_thread.run_sync(self.guarded, func, *args)
        return self.guarded(func, *args)

    def hit(self, items: list[RateLimitItem], key: str) -> Decision:
        """Count one request against every limit; the decision reports the tightest one."""
        decisions = []
        for item in items:
            allowed = self.sliding.hit(item, key)
            stats = self.sliding.get_window_stats(item, key)
            decisions.append(Decision(allowed, item.amount, stats.remaining, stats.reset_time, str(item)))
        blocked = [d for d in decisions if not d.allowed]
        return (
            max(blocked, key=lambda d: d.reset_time) if blocked else min(decisions, key=lambda d: d.remaining)
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_time: float  # seconds since the epoch
    period: str = ""  # "120 per 1 minute"

    def headers(self) -> list[tuple[bytes, bytes]]:
        pairs = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(self.reset_time)).encode()),
        ]
        if not self.allowed:
            pairs.append((b"retry-after", str(self.retry_after()).encode()))
        return pairs

    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_time - time.time()))


def trusted_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def client_address(scope: Scope, trusted: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The socket's peer; behind a trusted proxy, the last X-Forwarded-For hop not itself a proxy."""
    peer = scope["client"][0] if scope.get("client") else ""

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in trusted)

    if not trusted or not is_trusted(peer):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not is_trusted(hop):
            return hop
    return peer


class TokenIds:
    """Which API token a request carries, by the token's id (never the token itself): looked up in the
    database, remembered a minute. An unknown token counts as no token (its client's address)."""

    TTL = 60.0
    MAX = 10_000

    def __init__(self) -> None:
        self._known: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def lookup(self, services: Any, plain: str) -> str | None:
        from sapan.accounts.service import token_id
        from sapan.db import database_unavailable, transaction

        digest = hashlib.sha256(plain.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            found = self._known.get(digest)
        if found is not None and found[1] > now:
            return found[0]
        try:
            with transaction(services.sessions) as session:
                ident = token_id(session, plain)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            return None  # counted by address; the request itself answers 503
        with self._lock:
            if len(self._known) >= self.MAX:
                self._known.clear()
            self._known[digest] = (ident, now + self.TTL)
        return ident


def bearer(headers: Headers) -> str | None:
    raw = headers.get("authorization") or headers.get("x-ckan-api-key")
    return (raw.removeprefix("Bearer ").strip() or None) if raw else None


class RateLimit:
    """Pure ASGI (responses keep streaming): counts each limited request, answers 429 over the limit in
    CKAN's envelope with Retry-After, and puts X-RateLimit-* on every limited route's answer."""

    def __init__(
        self, app: ASGIApp, store: RateLimitStore, anonymous: str, token: str, trusted_proxies: str = ""
    ) -> None:
        self.app = app
        self.store = store
        self.anonymous = parse_limits(anonymous)
        self.token = parse_limits(token)
        self.trusted = trusted_networks(trusted_proxies)
        self.token_ids = TokenIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not LIMITED.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        key, items = await self.identify(scope)
        decision = await self.store.run(self.store.hit, items, key) if items else None
        if decision is None:
            await self.app(scope, receive, send)
            return
        if not decision.allowed:
            await self.refuse(scope, send, decision)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *decision.headers()]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def identify(self, scope: Scope) -> tuple[str, list[RateLimitItem]]:
        plain = bearer(Headers(scope=scope))
        if plain and self.token and (services := getattr(scope["app"].state, "services", None)):
            ident = await anyio.to_thread.run_sync(self.token_ids.lookup, services, plain)
            if ident is not None:
                return f"token:{ident}", self.token
        return f"ip:{client_address(scope, self.trusted)}", self.anonymous

    async def refuse(self, scope: Scope, send: Send, decision: Decision) -> None:
        services = getattr(scope["app"].state, "services", None)
        site = services.settings.site_url if services else ""
        action = ACTION.match(scope["path"])
        wait = decision.retry_after()
        body = {
            "help": help_url(site, action.group(1) if action else "api"),
            "success": False,
            "error": {
                "__type": "Rate Limit Exceeded",
                "message": f"Too many requests: the limit is {decision.period}. Try again in {wait} s.",
            },
        }
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": 429, "headers": headers + decision.headers()})
        await send({"type": "http.response.body", "body": data})
