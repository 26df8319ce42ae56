"""The request id of the work in progress: set by the middleware for a request, by the worker for a
job (from the payload its enqueuer stored), and read by every log line written meanwhile."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

request_id: ContextVar[str] = ContextVar("sapan_request_id", default="")

# An incoming X-Request-ID is kept only when it is short and plain: it ends up in logs and headers.
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
PAYLOAD_KEY = "request_id"


def accepted_or_new(incoming: str | None) -> str:
    """The caller's request id when it is sane (letters, digits, `._:-`, at most 128), else a new one."""
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current() -> str:
    return request_id.get()


def bind(value: str) -> Token[str]:
    return request_id.set(value)


def unbind(token: Token[str]) -> None:
    request_id.reset(token)
