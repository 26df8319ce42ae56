"""Real-time feeds over HTTP against `sapan serve` (a real process on 127.0.0.1), on SQLite and PostgreSQL.

Targets (the real-time issue): push ingest >= 10,000 observations/s; `latest` p50 < 10 ms; one event
stream fanned out to 500 concurrent clients with delivery p95 < 1 s.

    .venv/bin/python bench/realtime.py [--backends sqlite,postgresql] [--observations 100000] [--clients 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.databases import empty_database  # noqa: E402

SAPAN = [sys.executable, "-m", "sapan"]
GDC = {
    "data_type": "ข้อมูลสถิติ", "objective": ["เพื่อการให้บริการประชาชน"], "update_frequency_unit": "วัน",
    "update_frequency_interval": "1", "geo_coverage": "ประเทศ", "data_source": "กรมควบคุมมลพิษ",
    "data_format": ["JSON"], "data_category": "ข้อมูลสาธารณะ", "data_classification": "เปิดเผย",
    "license_id": "cc-by", "maintainer": "กลุ่มงานข้อมูล", "maintainer_email": "data@pcd.go.th",
    "notes": "ค่าฝุ่นจากสถานีตรวจวัด", "tags": [{"name": "ฝุ่น"}], "data_language": ["ไทย"],
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*SAPAN, *args], env=env, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_server(database: str) -> tuple[subprocess.Popen[str], str, str]:
    home = tempfile.mkdtemp(prefix="sapan-bench-rt-")
    port = _free_port()
    env = {
        **os.environ,
        "SAPAN_HOME": home,
        "SAPAN_DATABASE_URL": database,
        "SAPAN_SITE_URL": f"http://127.0.0.1:{port}",
    }
    proc = subprocess.Popen(
        [*SAPAN, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL, text=True
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/3/action/site_read", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    _cli(
        env,
        "user",
        "add",
        "bench",
        "--sysadmin",
        "--email",
        "bench@example.go.th",
        "--password",
        "bench-pass",
    )
    return proc, url, _cli(env, "token", "create", "bench").strip()


def make_feed(client: httpx.Client) -> str:
    def call(action: str, **data: Any) -> Any:
        body = client.post(f"/api/3/action/{action}", json=data).json()
        assert body["success"], body
        return body["result"]

    call("organization_create", name="pcd", title="กรมควบคุมมลพิษ")
    ds = call("package_create", name="air", title="คุณภาพอากาศ", owner_org="pcd", **GDC)
    feed: str = call("resource_create", package_id=ds["id"], name="สถานีตรวจวัด", resource_type="realtime")[
        "id"
    ]
    return feed


def bench_push(client: httpx.Client, feed: str, total: int, batch: int = 5000) -> float:
    """Observations per second through POST /push, `batch` per request, 200 stations x 25 variables."""
    bodies = []
    for start in range(0, total, batch):
        records = [
            {"entity": f"สถานี-{i % 200:03d}", "variable": f"var{(i // 200) % 25}", "value": i * 0.1,
             "unit": "µg/m³", "observed_at": "2024-05-01T00:00:00Z",
             "lat": 13.7, "lon": 100.5}
            for i in range(start, start + batch)
        ]  # fmt: skip
        for n, r in enumerate(records):  # distinct times: each row is a new observation
            seconds = start + n
            r["observed_at"] = (
                f"2024-05-{1 + seconds // 86400:02d}T{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}Z"
            )
        bodies.append(json.dumps({"records": records}).encode())
    began = time.perf_counter()
    stored = 0
    for body in bodies:
        answer = client.post(
            f"/api/realtime/{feed}/push", content=body, headers={"Content-Type": "application/json"}
        )
        stored += answer.json()["result"]["stored"]
    elapsed = time.perf_counter() - began
    assert stored == total, stored
    return total / elapsed


def bench_latest(
    client: httpx.Client, feed: str, requests: int, path: str = "latest", **params: str
) -> tuple[float, float, int]:
    times = []
    count = 0
    for _ in range(requests):
        began = time.perf_counter()
        answer = client.get(f"/api/realtime/{feed}/{path}" if path == "latest" else path, params=params)
        if path != "latest":
            times.append((time.perf_counter() - began) * 1000)
            continue
        times.append((time.perf_counter() - began) * 1000)
        count = len(answer.json()["result"]["records"])
    return statistics.median(times), _pct(times, 0.95), count


async def _client(
    host: str, port: int, path: str, ready: asyncio.Event, counter: list[int], lags: list[float], want: int
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    got, announced = 0, False
    while got < want:
        line = await reader.readline()
        if not line:
            break
        if not announced and line.startswith(b": stream of"):
            announced = True
            counter[0] += 1
            if counter[0] == counter[1]:
                ready.set()
        if line.startswith(b"data: "):
            item = json.loads(line[6:])
            lags.append(time.time() - item["value"])
            got += 1
    writer.close()


async def bench_fanout(
    url: str, token: str, feed: str, clients: int, batches: int = 20, per_batch: int = 10
) -> tuple[float, float, int]:
    host, port = url.removeprefix("http://").split(":")
    ready = asyncio.Event()
    counter = [0, clients]
    lags: list[float] = []
    want = batches * per_batch
    tasks = [
        asyncio.create_task(
            _client(host, int(port), f"/api/realtime/{feed}/stream", ready, counter, lags, want)
        )
        for _ in range(clients)
    ]
    await asyncio.wait_for(ready.wait(), 60)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": token}) as push:
        for b in range(batches):
            records = [
                {
                    "entity": "สถานีบางนา",
                    "variable": f"pm25-{i}",
                    "value": time.time(),
                    "observed_at": f"2030-01-01T00:{b:02d}:{i:02d}Z",
                }
                for i in range(per_batch)
            ]
            await push.post(f"/api/realtime/{feed}/push", json={"records": records})
            await asyncio.sleep(0.1)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    return statistics.median(lags), _pct(lags, 0.95), len(lags)


def run(backend: str, observations: int, clients: int) -> None:
    with empty_database(backend) as database:
        proc, url, token = start_server(database)
        try:
            with httpx.Client(base_url=url, headers={"Authorization": token}, timeout=120) as client:
                feed = make_feed(client)
                rate = bench_push(client, feed, observations)
            with httpx.Client(base_url=url, timeout=120) as public:  # latest values are read anonymously
                floor = bench_latest(public, feed, 300, path="/api/3/action/site_read")
                one = bench_latest(public, feed, 300, entity="สถานี-007")
                every = bench_latest(public, feed, 100)
            fanout = asyncio.run(bench_fanout(url, token, feed, clients))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"\n{backend}")
    print(
        f"  push ingest            {rate:>10,.0f} observations/s   ({observations:,} in batches of 5,000; target >= 10,000)"
    )
    print(
        f"  latest, one station    p50 {one[0]:6.2f} ms  p95 {one[1]:6.2f} ms   ({one[2]} values; target p50 < 10 ms)"
    )
    print(
        f"  site_read (the floor)  p50 {floor[0]:6.2f} ms  p95 {floor[1]:6.2f} ms   (one round trip via uvicorn + FastAPI)"
    )
    print(f"  latest, all stations   p50 {every[0]:6.2f} ms  p95 {every[1]:6.2f} ms   ({every[2]:,} values)")
    print(
        f"  stream to {clients} clients  p50 {fanout[0] * 1000:6.1f} ms  p95 {fanout[1] * 1000:6.1f} ms   ({fanout[2]:,} deliveries; target p95 < 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=500)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.observations, args.clients)


if __name__ == "__main__":
    main()
