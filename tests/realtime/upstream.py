"""A real HTTP server on 127.0.0.1 replaying data.gov.sg's real-time answers, with values and times that
change at every tick (as the live API's do), or failing on purpose."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parents[1] / "fixtures" / "realtime"


def _shift(doc: Any, tick: int) -> Any:
    """Every time moved `tick` minutes on and every number reading moved by `tick` tenths."""
    if isinstance(doc, dict):
        return {k: _shift_value(k, v, tick) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_shift(v, tick) for v in doc]
    return doc


def _shift_value(key: str, value: Any, tick: int) -> Any:
    if key in ("timestamp", "update_timestamp", "update_datetime") and isinstance(value, str):
        return (datetime.fromisoformat(value) + timedelta(minutes=tick)).isoformat()
    if key in ("value", "taxi_count") and isinstance(value, (int, float)):
        return round(value + tick / 10, 2)
    if key == "readings" and isinstance(value, dict):  # region readings: {variable: {region: number}}
        return {v: {r: n + tick for r, n in regions.items()} for v, regions in value.items()}
    return _shift(value, tick)


class Upstream:
    def __init__(self) -> None:
        self.file = "environment_airtemperature.json"
        self.tick = 0
        self.mode = "ok"  # ok | down (HTTP 503) | malformed (not JSON) | wrong (JSON of another shape)
        self.requests = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                upstream.requests += 1
                status, body = upstream.answer()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/environment"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self) -> tuple[int, bytes]:
        if self.mode == "down":
            return 503, b'{"message": "service unavailable"}'
        if self.mode == "malformed":
            return 200, b'{"items": [{"timestamp": "2020-01-01T00:00:00+08:00", "readings": ['
        if self.mode == "wrong":
            return 200, b'{"metadata": {"stations": []}, "items": [{"timestamp": "soon", "readings": []}]}'
        doc = json.loads((FIXTURES / self.file).read_text())
        return 200, json.dumps(_shift(doc, self.tick)).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
