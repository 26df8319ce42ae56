"""The outermost middleware: gives each request an id (the caller's X-Request-ID when sane), returns it
in the response, times the request for sapan_http_request_duration_seconds and writes one access line."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sapan.observability import context
from sapan.observability.metrics import observe_request

log = logging.getLogger("sapan.access")
UNMATCHED = "<unmatched>"
QUIET = {"/healthz", "/readyz", "/metrics"}  # probed every few seconds: logged at debug level only


def route_label(scope: Scope, root_path: str = "") -> str:
    """The route's template ("/dataset/{name}", one per Action API action; "/static/{path}" for a
    mounted app), never the concrete URL: label values stay few however many URLs are requested."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    mounted = scope.get("root_path", "")
    if isinstance(mounted, str) and mounted != root_path:  # a Mount moved the root: its prefix
        return f"{mounted.removeprefix(root_path)}/{{path}}"
    return UNMATCHED


class RequestObserver:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root_path = scope.get("root_path", "")
        rid = context.accepted_or_new(Headers(scope=scope).get("x-request-id"))
        token = context.bind(rid)
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route, method = route_label(scope, root_path), scope["method"]
            observe_request(route, method, status, seconds)
            log.log(
                logging.DEBUG if route in QUIET else logging.INFO,
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "route": route, "method": method, "path": scope["path"], "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )  # fmt: skip
            context.unbind(token)
