"""Polled feeds: the `realtime_poll` job fetches the upstream once and stores what its mapping reads;
the scheduler enqueues the polls (and compactions) that are due. A failing upstream marks the feed
stale with a readable error and is retried with a growing delay; nothing it sends can stop a worker."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update

from sapan.catalog.resources import active_resource_ids
from sapan.db import transaction, utcnow
from sapan.errors import SapanError
from sapan.jobs.service import enqueue, purge_finished
from sapan.realtime import history
from sapan.realtime.ingest import store
from sapan.realtime.mappings import apply_mapping
from sapan.realtime.models import Feed
from sapan.realtime.schemas import MalformedData

log = logging.getLogger("sapan.realtime")
MAX_BYTES = 20 * 1024 * 1024
WHOLE_ANSWER = 10  # an answer may take this many times the timeout in all (connect and read: 1x each)
MAX_BACKOFF = timedelta(hours=1)


class UpstreamError(SapanError):
    """The upstream could not be read or sent something unusable; the message says which."""


def fetch(url: str, timeout: float = 30.0) -> Any:
    """The upstream's JSON document; raises UpstreamError saying what went wrong."""
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code >= 400:
                raise UpstreamError(f"Upstream answered HTTP {response.status_code} {response.reason_phrase}")
            body = b""
            deadline = time.monotonic() + WHOLE_ANSWER * timeout
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:  # a trickle that never ends
                    raise httpx.ReadTimeout("whole answer")
                body += chunk
                if len(body) > MAX_BYTES:
                    raise UpstreamError(f"Upstream answer is larger than {MAX_BYTES // 2**20} MiB")
    except httpx.TimeoutException as exc:
        raise UpstreamError(f"Upstream did not answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise UpstreamError(f"Could not reach upstream: {exc}") from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise UpstreamError(f"Upstream sent malformed JSON: {exc}") from exc


POLL_CLAIM_EXPIRES = timedelta(minutes=5)


def backoff(poll_seconds: int, failures: int) -> timedelta:
    """Delay before the next try after `failures` failed polls in a row: doubling, at most an hour."""
    return min(
        timedelta(seconds=poll_seconds * 2 ** min(failures - 1, 10)),
        max(MAX_BACKOFF, timedelta(seconds=poll_seconds)),
    )


def poll(services: Any, resource_id: str) -> dict[str, Any]:
    """Poll one feed now (the `realtime_poll` job). Never two at once for a feed: a poll first claims
    the feed, and a second one finds it claimed and does nothing."""
    # A poll takes seconds (10 s timeouts): a killed worker's claim stops the feed for minutes, not an hour.
    if not history._claim(services, resource_id, Feed.polling_since, POLL_CLAIM_EXPIRES):
        return {"skipped": "a poll of this feed is running"}
    try:
        with transaction(services.sessions) as session:
            feed = session.get(Feed, resource_id)
            if feed is None or feed.kind != "polled":
                return {"skipped": "not a polled feed"}
            url, mapping, seconds = feed.source_url, dict(feed.mapping), feed.poll_seconds
        try:
            readings = apply_mapping(mapping, fetch(url, services.settings.http_timeout_seconds))
        except (UpstreamError, MalformedData) as exc:
            error = str(exc) if isinstance(exc, UpstreamError) else f"Upstream sent malformed data: {exc}"
            _failed(services, resource_id, seconds, error)
            raise UpstreamError(error) from exc
        except (
            Exception
        ) as exc:  # anything else the document makes a mapping do: the feed is stale, not the worker
            log.exception("poll of %s", resource_id)
            error = f"Upstream sent malformed data: {type(exc).__name__}: {exc}"
            _failed(services, resource_id, seconds, error)
            raise UpstreamError(error) from exc
        with transaction(services.sessions) as session:
            result = store(session, services.catalog.storage, resource_id, readings)
            row = session.get(Feed, resource_id)
            if row is not None:
                now = utcnow()
                row.stale, row.error, row.failures = False, None, 0
                row.last_polled_at, row.last_received_at = now, now
                row.next_poll_at = now + timedelta(seconds=row.poll_seconds)
        notify(services, resource_id)
        return result.as_dict()
    finally:
        with transaction(services.sessions) as session:
            session.execute(update(Feed).where(Feed.resource_id == resource_id).values(polling_since=None))


def _failed(services: Any, resource_id: str, seconds: int, error: str) -> None:
    with transaction(services.sessions) as session:
        row = session.get(Feed, resource_id)
        if row is not None:
            now = utcnow()
            row.failures += 1
            row.stale, row.error, row.last_polled_at = True, error[:2000], now
            row.next_poll_at = now + backoff(seconds, row.failures)


def notify(services: Any, resource_id: str) -> None:
    """Wake this process's streams of the feed (streams of other processes look every second)."""
    hub = getattr(services, "realtime_hub", None)
    if hub is not None:
        hub.notify(resource_id)


def run_poll(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    return poll(services, payload["resource_id"])


def run_compact(services: Any, payload: dict[str, Any], progress: Any) -> dict[str, Any]:
    return history.compact(services, payload["resource_id"], services.settings.realtime_retention_days)


def enqueue_due(services: Any, now: datetime | None = None) -> int:
    """Enqueue the polls and compactions that are due. Moving a feed's next time forward and
    enqueueing happen in one transaction, conditional on the time read, so schedulers in several
    processes enqueue each poll once."""
    now = now or utcnow()
    queued = 0
    compact_every = timedelta(seconds=services.settings.realtime_compact_seconds)
    with transaction(services.sessions) as session:
        due = session.execute(
            select(
                Feed.resource_id, Feed.kind, Feed.next_poll_at, Feed.next_compact_at, Feed.poll_seconds
            ).where(
                or_(Feed.next_poll_at <= now, Feed.next_compact_at.is_(None), Feed.next_compact_at <= now)
            )
        ).all()
        active = active_resource_ids(session, [row[0] for row in due])
        for resource_id, kind, next_poll, next_compact, seconds in due:
            if resource_id not in active:
                continue
            if kind == "polled" and next_poll is not None and next_poll <= now:
                moved = session.execute(
                    update(Feed)
                    .where(Feed.resource_id == resource_id, Feed.next_poll_at == next_poll)
                    .values(next_poll_at=now + timedelta(seconds=seconds))
                )
                if getattr(moved, "rowcount", 0) == 1:
                    enqueue(session, "realtime_poll", {"resource_id": resource_id})
                    queued += 1
            if next_compact is None or next_compact <= now:
                condition = (
                    Feed.next_compact_at.is_(None)
                    if next_compact is None
                    else Feed.next_compact_at == next_compact
                )
                moved = session.execute(
                    update(Feed)
                    .where(Feed.resource_id == resource_id, condition)
                    .values(next_compact_at=now + compact_every)
                )
                if getattr(moved, "rowcount", 0) == 1 and next_compact is not None:  # not at the feed's birth
                    enqueue(session, "realtime_compact", {"resource_id": resource_id})
                    queued += 1
    return queued


def purge_jobs(services: Any, now: datetime | None = None) -> None:
    """A poll every 30 s would fill the job table: finished real-time jobs are kept for an hour."""
    with transaction(services.sessions) as session:
        purge_finished(session, ("realtime_poll", "realtime_compact"), (now or utcnow()) - timedelta(hours=1))


class Scheduler(threading.Thread):
    """Enqueues due polls and compactions every `tick` seconds while the app (or `sapan worker`) runs."""

    def __init__(self, services: Any, tick: float = 1.0) -> None:
        super().__init__(name="sapan-realtime-scheduler", daemon=True)
        self.services, self.tick = services, tick
        self.stopping = threading.Event()

    def run(self) -> None:
        ticks = 0
        while not self.stopping.is_set():
            try:
                enqueue_due(self.services)
                if ticks % 600 == 0:  # a write, so rarely: on SQLite every write waits for the others
                    purge_jobs(self.services)
                ticks += 1
            except Exception:  # database briefly away: try again at the next tick
                log.exception("realtime scheduler")
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
