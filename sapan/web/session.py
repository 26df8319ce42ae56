"""The portal's login session: a signed cookie (HMAC-SHA256 with a key derived from SAPAN_SECRET_KEY),
so any of N stateless processes can read it. It holds the user's id and name, the CSRF token of the
session and when it was issued; nothing secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from sapan.accounts.models import User
from sapan.accounts.service import ANONYMOUS, Actor, actor_for

COOKIE = "sapan_session"
MAX_AGE = 12 * 3600  # a working day: a stolen cookie stops working by the evening


@dataclass(frozen=True)
class PortalSession:
    csrf: str
    issued: int
    user_id: str | None = None
    user_name: str | None = None
    password_stamp: str = ""  # changes with the password, which ends older sessions

    @property
    def logged_in(self) -> bool:
        return self.user_id is not None


def _key(request: Request) -> bytes:
    # A key of its own (not the one that hashes masked personal data), derived from the site secret
    cached = getattr(request.app.state, "session_key", None)
    if cached is None:
        secret = request.app.state.services.settings.resolved_secret_key
        cached = hmac.new(secret, b"sapan portal session cookie", hashlib.sha256).digest()
        request.app.state.session_key = cached
    return bytes(cached)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(key: bytes, value: PortalSession) -> str:
    payload = json.dumps(
        {
            "c": value.csrf,
            "t": value.issued,
            "u": value.user_id,
            "n": value.user_name,
            "p": value.password_stamp,
        },
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(signature)}"


def decode(key: bytes, cookie: str, now: float | None = None) -> PortalSession | None:
    """The session in a cookie, or None when it is forged, damaged or older than MAX_AGE."""
    try:
        payload_text, signature_text = cookie.split(".", 1)
        payload = _unb64(payload_text)
        if not hmac.compare_digest(_unb64(signature_text), hmac.new(key, payload, hashlib.sha256).digest()):
            return None
        raw: dict[str, Any] = json.loads(payload)
        value = PortalSession(str(raw["c"]), int(raw["t"]), raw.get("u"), raw.get("n"), str(raw.get("p", "")))
    except (ValueError, KeyError, TypeError):
        return None
    if (now if now is not None else time.time()) - value.issued > MAX_AGE:
        return None
    return value


def current(request: Request) -> PortalSession | None:
    """This request's session (read once per request)."""
    if not hasattr(request.state, "portal_session"):
        cookie = request.cookies.get(COOKIE)
        request.state.portal_session = decode(_key(request), cookie) if cookie else None
    found: PortalSession | None = request.state.portal_session
    return found


def user_id_of(request: Request) -> str | None:
    found = current(request)
    return found.user_id if found else None


def password_stamp(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def actor_of(session: Session, user_id: str | None, stamp: str = "") -> Actor:
    """The Actor behind a session's user id: anonymous when the user is gone, disabled, or has changed
    their password since."""
    if user_id is None:
        return ANONYMOUS
    user = session.get(User, user_id)
    if user is None or user.state != "active" or not hmac.compare_digest(password_stamp(user), stamp):
        return ANONYMOUS
    return actor_for(session, user)


def request_actor(session: Session, request: Request) -> Actor:
    found = current(request)
    return actor_of(session, found.user_id, found.password_stamp) if found else ANONYMOUS


def new_session(user: User | None = None) -> PortalSession:
    """A fresh session (a new CSRF token too: logging in never keeps a token set before it)."""
    if user is None:
        return PortalSession(secrets.token_urlsafe(32), int(time.time()))
    return PortalSession(
        secrets.token_urlsafe(32), int(time.time()), user.id, user.name, password_stamp(user)
    )


def save(request: Request, response: Response, value: PortalSession) -> None:
    secure = request.app.state.services.settings.site_url.startswith("https://")
    response.set_cookie(
        COOKIE, encode(_key(request), value), max_age=MAX_AGE, httponly=True, samesite="lax", secure=secure,
        path="/",
    )  # fmt: skip
    request.state.portal_session = value


def clear(request: Request, response: Response) -> None:
    secure = request.app.state.services.settings.site_url.startswith("https://")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    request.state.portal_session = None


def actor_in(session: Session, found: PortalSession | None) -> Actor:
    """The Actor of a session read earlier with `current()` (pages read it on the event loop and load
    the user in their worker thread's transaction)."""
    return actor_of(session, found.user_id, found.password_stamp) if found else ANONYMOUS
