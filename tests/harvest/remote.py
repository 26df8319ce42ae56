"""Local stand-ins for harvest sources: a real HTTP server on 127.0.0.1 answering from a route table
(fixture files in the exact shapes of data.go.th's CKAN API, data.gov.sg's v2 API and DCAT files),
and able to fail on purpose (HTTP 500, a timeout, malformed JSON or RDF)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parents[1] / "fixtures" / "harvest"
Answer = tuple[int, bytes, str]
Route = Callable[[dict[str, str]], Answer]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def as_json(doc: Any) -> Answer:
    return 200, json.dumps(doc, ensure_ascii=False).encode(), "application/json"


class Remote:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.mode = "ok"  # ok | error (HTTP 500) | slow (answers after the timeout) | malformed
        self.requests: list[str] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                remote.requests.append(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                status, body, kind = remote.answer(parts.path, query)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up waiting (the timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, query: dict[str, str]) -> Answer:
        if self.mode == "error":
            return (
                500,
                b'{"success": false, "error": {"message": "Internal Server Error"}}',
                "application/json",
            )
        if self.mode == "slow":
            time.sleep(2.5)
        route = self.routes.get(path)
        if route is None:
            return 404, b'{"success": false}', "application/json"
        status, body, kind = route(query)
        if self.mode == "malformed":
            body = body[: len(body) // 2]
        return status, body, kind

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
