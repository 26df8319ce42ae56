"""Checks of the parts a Sapan process depends on (database, storage, job queue), each timed and
answering ok or fail with a short reason that shows no credentials. /readyz runs them on every probe;
`sapan doctor` runs them with its configuration checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from sapan.observability.logs import redact
from sapan.storage.service import Storage


@dataclass
class Check:
    name: str
    status: str  # ok, info, warn, fail
    detail: str = ""
    hint: str = ""  # what to do about a warn or fail
    ms: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"status": self.status}
        if self.ms is not None:
            answer["ms"] = round(self.ms, 1)
        if self.detail:
            answer["detail"] = self.detail
        return {**answer, **self.facts}


def reason(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of the driver's message."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return redact(f"{type(cause).__name__}: {first}"[:300])


def timed(name: str, probe: Callable[[], dict[str, Any] | None]) -> Check:
    """Run a probe; its answer (facts such as a queue age) goes into the check, an exception fails it."""
    started = time.perf_counter()
    try:
        facts = probe() or {}
    except Exception as exc:  # whatever the driver raises, the answer is "fail, because ..."
        return Check(name, "fail", reason(exc), ms=(time.perf_counter() - started) * 1000)
    return Check(name, "ok", ms=(time.perf_counter() - started) * 1000, facts=facts)


def database(engine: Engine, timeout: float) -> Check:
    def probe() -> None:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":  # a stuck server must not hold the probe
                conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
            conn.execute(text("SELECT 1"))

    return timed("database", probe)


def storage(store: Storage) -> Check:
    return timed("storage", store.check)


def queue(sessions: sessionmaker[Session]) -> Check:
    from sapan.db import transaction
    from sapan.jobs.stats import oldest_queued_age, queue_depth

    def probe() -> dict[str, Any]:
        with transaction(sessions) as session:
            depth = queue_depth(session)
            age = oldest_queued_age(session)
        queued = sum(n for (_, state), n in depth.items() if state == "queued")
        return {"queued": queued, "oldest_queued_seconds": round(age or 0.0, 1)}

    return timed("queue", probe)


@cache
def _pool() -> ThreadPoolExecutor:
    # Probes get threads of their own: a database that hangs ties these up, not the app's thread pool.
    return ThreadPoolExecutor(max_workers=6, thread_name_prefix="sapan-readyz")


async def readiness(services: Any, timeout: float) -> list[Check]:
    """The database, storage and queue checks, run side by side; one without an answer within
    `timeout` seconds fails."""
    loop = asyncio.get_running_loop()

    async def within(name: str, check: Callable[[], Check]) -> Check:
        try:
            return await asyncio.wait_for(loop.run_in_executor(_pool(), check), timeout)
        except TimeoutError:
            return Check(name, "fail", f"no answer within {timeout:g} s", ms=timeout * 1000)

    return list(
        await asyncio.gather(
            within("database", lambda: database(services.engine, timeout)),
            within("storage", lambda: storage(services.catalog.storage)),
            within("queue", lambda: queue(services.sessions)),
        )
    )
