"""Load test of the production layout: PostgreSQL, `sapan serve --workers 2` and two `sapan worker`
processes, with 200 concurrent clients on 127.0.0.1 for 60 s and a realistic mix of calls:
package_search 50%, package_show 25%, datastore_search 15%, file downloads 5%, writes 5% (package_create
and package_patch with a sysadmin's token). Reports requests/s, p50/p95/p99 and errors per kind.
Target (issue 8): zero errors, p95 under 200 ms.

Baseline in the same run: the embedded layout (one `sapan serve` process with its in-process worker) on
the same database under the same load; the ratio shows what the extra processes buy on this machine.

Each client waits a random think time between its calls (exponential, mean --think seconds, like a
person reading a page); --think 0 makes every client a tight loop (a saturation test). The clients run
in two processes on the same two cores as the servers and PostgreSQL, so the figures are a floor.
Rate limits are switched off for the run: every client comes from 127.0.0.1.

    .venv/bin/python bench/load.py [--datasets 10000] [--clients 200] [--seconds 60] [--think 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import dataset, free_port  # noqa: E402
from bench.databases import empty_database  # noqa: E402
from bench.search import FIXTURES, PLACES, fill_catalogue  # noqa: E402
from sapan.accounts.service import create_token, create_user  # noqa: E402
from sapan.config import Settings  # noqa: E402
from sapan.db import transaction  # noqa: E402
from sapan.search.evaluation import load_judgments  # noqa: E402
from sapan.search.service import reindex  # noqa: E402
from sapan.services import build_services  # noqa: E402

MIX = {"search": 50, "show": 25, "datastore": 15, "download": 5, "write": 5}
PROVINCES = ["กรุงเทพมหานคร", "เชียงใหม่", "ขอนแก่น", "ภูเก็ต", "นครราชสีมา", "สงขลา"]
TABLES = 4  # uploaded CSV resources the datastore_search calls and downloads use
EDITABLE = 100  # datasets the package_patch calls change


def prepare(url: str, home: Path, n: int) -> str:
    """The catalogue (n datasets, indexed) and a sysadmin token; set-up, not measured."""
    services = build_services(Settings(home=home, database_url=url, search_vectors=False))
    print(f"  filling the catalogue with {n} datasets")
    fill_catalogue(services, n)
    with transaction(services.sessions) as session:
        reindex(session, services.catalog, lambda done, total: None)
        user = create_user(session, "load", sysadmin=True)
        _, token = create_token(session, user)
    services.close()
    return token


def make_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "จังหวัด", "รายการ", "มูลค่า", "วันที่"])
        for i in range(rows):
            out.writerow(
                [
                    i,
                    rng.choice(PROVINCES),
                    f"รายการที่ {i}",
                    round(rng.random() * 1e4, 2),
                    f"2567-{1 + i % 12:02d}-01",
                ]
            )


@contextmanager
def processes(commands: list[list[str]], env: dict[str, str], port: int) -> Iterator[None]:
    procs = [subprocess.Popen(c, env=env, stderr=subprocess.DEVNULL) for c in commands]
    try:
        with httpx.Client(timeout=5) as http:
            for _ in range(600):
                try:
                    if http.get(f"http://127.0.0.1:{port}/api/3/action/site_read").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def new_dataset(name: str, i: int) -> dict[str, Any]:
    """A dataset the thai_gdc profile accepts (bench/api.py's), without a resource."""
    return {**dataset(i), "name": name, "owner_org": "load-org", "resources": []}


def ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


def set_up_over_http(base: str, token: str, work: Path) -> tuple[list[dict[str, str]], list[str]]:
    """Upload TABLES CSVs through the API and wait for the workers to ingest them; create EDITABLE
    complete datasets for the package_patch calls (bench/search.py's have no profile fields)."""
    tables = []
    with httpx.Client(timeout=60, headers={"Authorization": token}) as http:
        ok(http.post(f"{base}/organization_create", json={"name": "load-org", "title": "โหลด"}))
        editable = [f"load-edit-{i}" for i in range(EDITABLE)]
        for i, name in enumerate(editable):
            ok(http.post(f"{base}/package_create", json=new_dataset(name, i)))
        for t in range(TABLES):
            name = f"load-table-{t}-{uuid.uuid4().hex[:6]}"
            ok(http.post(f"{base}/package_create", json=new_dataset(name, t)))
            path = work / f"table-{t}.csv"
            make_csv(path, 5_000, t)
            with path.open("rb") as f:
                answer = http.post(
                    f"{base}/resource_create",
                    data={"package_id": name, "name": f"table {t}"},
                    files={"upload": (path.name, f, "text/csv")},
                )
            resource = ok(answer)["result"]
            tables.append({"id": resource["id"], "url": resource["url"]})
        for table in tables:
            while True:
                info = http.get(f"{base}/datastore_info", params={"id": table["id"]}).json()["result"]
                if info["ingest"]["job"]["state"] in ("done", "failed"):
                    assert info["ingest"]["job"]["state"] == "done", info
                    break
                time.sleep(0.2)
    return tables, editable


def public_dataset(rng: random.Random, n: int) -> str:
    """One of bench/search.py's datasets that anyone may read (every 50th is private)."""
    i = rng.randrange(n)
    return f"ds-{i + 1 if i % 50 == 0 else i:06d}"


async def client_loop(
    http: httpx.AsyncClient, base: str, plan: dict[str, Any], rng: random.Random, deadline: float
) -> list[tuple[str, float, int]]:
    kinds, weights = list(MIX), list(MIX.values())
    out: list[tuple[str, float, int]] = []
    failures: dict[str, int] = plan["failures"]
    auth = {"Authorization": plan["token"]}
    if plan["think"] > 0:  # people arrive spread out, not all 200 in the same millisecond
        await asyncio.sleep(rng.uniform(0, plan["think"]))
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        if kind == "search":
            q = rng.choice(plan["queries"])
            params: dict[str, Any] = {"q": q, "rows": 20}
            if rng.random() < 0.3:
                params["fq"] = "res_format:CSV"
            request = http.build_request("GET", f"{base}/package_search", params=params)
        elif kind == "show":
            request = http.build_request(
                "GET", f"{base}/package_show", params={"id": public_dataset(rng, plan["n"])}
            )
        elif kind == "datastore":
            table = rng.choice(plan["tables"])
            body: dict[str, Any] = {"resource_id": table["id"], "limit": 50, "offset": rng.randrange(0, 4000)}
            if rng.random() < 0.5:
                body["filters"] = {"จังหวัด": rng.choice(PROVINCES)}
            request = http.build_request("POST", f"{base}/datastore_search", json=body)
        elif kind == "download":
            request = http.build_request("GET", rng.choice(plan["tables"])["url"])
        elif rng.random() < 0.5:
            name = f"load-{uuid.uuid4().hex[:12]}"
            request = http.build_request(
                "POST",
                f"{base}/package_create",
                json=new_dataset(name, rng.randrange(1000)),
                headers=auth,
            )
        else:
            request = http.build_request(
                "POST",
                f"{base}/package_patch",
                json={"id": rng.choice(plan["editable"]), "notes": f"แก้ไขเมื่อ {time.time()}"},
                headers=auth,
            )
        started = time.perf_counter()
        try:
            response = await http.send(request)
            await response.aread()
            status = response.status_code
        except httpx.HTTPError as exc:
            status = 0  # a refused or dropped connection counts as an error
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
        out.append((kind, (time.perf_counter() - started) * 1000, status))
        if plan["think"] > 0:
            await asyncio.sleep(rng.expovariate(1 / plan["think"]))
    return out


async def client_process_async(plan: dict[str, Any], clients: int, seed: int) -> list[tuple[str, float, int]]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    deadline = time.monotonic() + plan["seconds"]
    plan = {**plan, "failures": {}}  # connection errors by kind, printed for the report
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        loops = [
            client_loop(http, plan["base"], plan, random.Random(seed * 1000 + i), deadline)
            for i in range(clients)
        ]
        results = await asyncio.gather(*loops)
    if plan["failures"]:
        print(f"  client {seed}: connection errors {plan['failures']}", flush=True)
    return [r for rs in results for r in rs]


def client_process(plan: dict[str, Any], clients: int, seed: int, out: Path) -> None:
    out.write_text(json.dumps(asyncio.run(client_process_async(plan, clients, seed))))


def load(plan: dict[str, Any], clients: int, work: Path) -> dict[str, Any]:
    """Run the clients in two processes (one would be the bottleneck); gather what they saw."""
    procs, files = [], []
    for p in range(2):
        out = work / f"results-{uuid.uuid4().hex[:6]}-{p}.json"
        share = clients // 2 + (clients % 2 if p == 0 else 0)
        proc = multiprocessing.Process(target=client_process, args=(plan, share, p + 1, out))
        proc.start()
        procs.append(proc)
        files.append(out)
    started = time.perf_counter()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    rows = [tuple(r) for f in files for r in json.loads(f.read_text())]
    return {"elapsed": elapsed, "seconds": plan["seconds"], "rows": rows}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def report(label: str, result: dict[str, Any]) -> dict[str, float]:
    rows = result["rows"]
    by_kind: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for kind, ms, status in rows:
        by_kind[kind].append((ms, status))
    print(f"\n{label}: {len(rows)} requests in {result['elapsed']:.1f} s")
    print(f"{'kind':<12}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in [*MIX, "all"]:
        items = [(ms, st) for _, ms, st in rows] if kind == "all" else by_kind.get(kind, [])
        times = [ms for ms, _ in items]
        errors = sum(1 for _, st in items if st != 200)
        print(
            f"{kind:<12}{len(items):>8}{percentile(times, 0.5):>9.1f}{percentile(times, 0.95):>9.1f}"
            f"{percentile(times, 0.99):>9.1f}{errors:>8}"
        )
    statuses = defaultdict(int)
    for _, _, st in rows:
        if st != 200:
            statuses[st] += 1
    if statuses:
        print(f"  errors by status: {dict(statuses)}")
    times = [ms for _, ms, _ in rows]
    return {
        "rps": len(rows) / result["seconds"],
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "errors": float(sum(statuses.values())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a client's calls")
    parser.add_argument("--warm", type=float, default=10, help="seconds of unmeasured load first")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sapan-load-"))
    judged = [j.query for j in load_judgments(FIXTURES / "relevance.json")]
    rng = random.Random(3)
    queries = judged + [f"{rng.choice(judged)} {rng.choice(PLACES)}" for _ in range(len(judged))]
    figures: dict[str, dict[str, float]] = {}
    layouts = {
        "production: serve --workers 2 + 2 workers": ("2", 2, "false"),
        "baseline: one process, embedded worker": ("1", 0, "true"),
    }
    if args.skip_baseline:
        layouts.pop("baseline: one process, embedded worker")
    with empty_database("postgresql") as url:
        home = work / "home"
        token = prepare(url, home, args.datasets)
        tables: list[dict[str, str]] = []
        editable: list[str] = []
        for label, (web, workers, embedded) in layouts.items():
            port = free_port()
            env = {
                **os.environ,
                "SAPAN_HOME": str(home),
                "SAPAN_DATABASE_URL": url,
                "SAPAN_SITE_URL": f"http://127.0.0.1:{port}",
                "SAPAN_EMBEDDED_WORKER": embedded,
                "SAPAN_SEARCH_VECTORS": "false",
                "SAPAN_RATE_LIMIT_ANONYMOUS": "",
                "SAPAN_RATE_LIMIT_TOKEN": "",
            }
            serve = [sys.executable, "-m", "sapan", "serve", "--port", str(port), "--workers", web]
            commands = [serve] + [[sys.executable, "-m", "sapan", "worker"]] * workers
            print(f"[{label}]")
            with processes(commands, env, port):
                base = f"http://127.0.0.1:{port}/api/3/action"
                if not tables:
                    tables, editable = set_up_over_http(base, token, work)
                else:  # the same files, served by this layout's port
                    tables = [{**t, "url": _reroute(t["url"], port)} for t in tables]
                plan = {
                    "base": base, "token": token, "n": args.datasets, "queries": queries,
                    "tables": tables, "editable": editable, "think": args.think, "seconds": args.seconds,
                }  # fmt: skip
                load({**plan, "seconds": args.warm}, args.clients, work)  # lazy loads in every process
                figures[label] = report(label, load(plan, args.clients, work))
    print(
        f"\n{args.clients} clients, {args.seconds:.0f} s, think time {args.think} s, {args.datasets} datasets"
    )
    print(f"{'layout':<44}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}")
    for label, f in figures.items():
        print(
            f"{label:<44}{f['rps']:>8.0f}{f['p50']:>8.1f}{f['p95']:>8.1f}{f['p99']:>8.1f}{f['errors']:>8.0f}"
        )
    prod = figures.get("production: serve --workers 2 + 2 workers")
    base_f = figures.get("baseline: one process, embedded worker")
    if prod and base_f:
        print(
            f"production / baseline: {prod['rps'] / base_f['rps']:.2f}x requests/s, "
            f"p95 {base_f['p95'] / prod['p95']:.2f}x lower"
        )
    if prod:
        verdict = "ok" if prod["errors"] == 0 and prod["p95"] < 200 else "MISS"
        print(f"target (zero errors, p95 < 200 ms): {verdict}")


def _reroute(url: str, port: int) -> str:
    """A download URL of the first layout, pointed at this layout's port."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    return f"http://127.0.0.1:{port}/{path}"


if __name__ == "__main__":
    main()
