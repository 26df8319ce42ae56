"""Server-sent events of new observations. One tail per feed and process reads new observations from
storage once and keeps them, encoded, in a ring; every client of the feed takes its events from the
ring at its own pace. A client that falls behind the ring, or resumes with a Last-Event-ID older than
it, reads from storage by event id, so a stream has neither gaps nor duplicates."""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from sapan.db import transaction
from sapan.realtime.history import observation_dict, observations_since
from sapan.realtime.models import Feed

log = logging.getLogger("sapan.realtime")
RING = 20_000
BATCH = 5_000
IDLE_SECONDS = 30.0
LOOK_SECONDS = 1.0  # how often a tail looks for observations written by other processes


def encode(row: Any) -> tuple[int, str]:
    item = observation_dict(row)
    return item[
        "id"
    ], f"id: {item['id']}\nevent: observation\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"


def read_since(services: Any, resource_id: str, after: int, limit: int = BATCH) -> list[tuple[int, str]]:
    with transaction(services.sessions) as session:
        feed = session.get(Feed, resource_id)
        if feed is None:
            return []
        rows = observations_since(session, services.catalog.storage, feed, after, limit)
    return [encode(r) for r in rows]


def _last_seq(services: Any, resource_id: str) -> int:
    with transaction(services.sessions) as session:
        feed = session.get(Feed, resource_id)
        return feed.last_seq if feed is not None else 0


class FeedTail:
    """New events of one feed, read once for all of this process's clients."""

    def __init__(self, resource_id: str, last_seq: int) -> None:
        self.resource_id = resource_id
        self.seqs: deque[int] = deque(maxlen=RING)
        self.texts: deque[str] = deque(maxlen=RING)
        self.base = last_seq  # the ring holds every event after this one
        self.last_seq = last_seq
        self.waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.wake = asyncio.Event()
        self.clients = 0

    def since(self, cursor: int) -> list[tuple[int, str]] | None:
        """Events after `cursor` from the ring; None when the ring no longer holds them all."""
        if cursor < self.base:
            return None
        start = bisect.bisect_right(self.seqs, cursor)
        return [(self.seqs[i], self.texts[i]) for i in range(start, len(self.seqs))]

    def add(self, events: list[tuple[int, str]]) -> None:
        for seq, text in events:
            if len(self.seqs) == RING:
                self.base = self.seqs[0]
            self.seqs.append(seq)
            self.texts.append(text)
        self.last_seq = events[-1][0]
        waiter, self.waiter = self.waiter, asyncio.get_running_loop().create_future()
        waiter.set_result(None)

    async def run(self, services: Any, hub: Hub) -> None:
        idle = 0.0
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), LOOK_SECONDS)
            except TimeoutError:
                idle = idle + LOOK_SECONDS if self.clients == 0 else 0.0
                if idle >= IDLE_SECONDS:
                    hub.tails.pop(self.resource_id, None)
                    return
            self.wake.clear()
            try:
                while events := await asyncio.to_thread(
                    read_since, services, self.resource_id, self.last_seq
                ):
                    self.add(events)
                    if len(events) < BATCH:
                        break
            except Exception:  # the database briefly away: clients wait for the next look
                log.exception("stream tail of %s", self.resource_id)


class Hub:
    """This process's feed tails. Writers call notify() after they commit (from any thread)."""

    def __init__(self) -> None:
        self.tails: dict[str, FeedTail] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def tail(self, services: Any, resource_id: str) -> FeedTail:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (a restarted app in tests): the old tails are gone
            self.tails, self.loop = {}, loop
        tail = self.tails.get(resource_id)
        if tail is None:
            last = await asyncio.to_thread(_last_seq, services, resource_id)
            tail = self.tails.get(resource_id)
            if tail is None:
                tail = self.tails[resource_id] = FeedTail(resource_id, last)
                task = loop.create_task(tail.run(services, self))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        return tail

    def notify(self, resource_id: str) -> None:
        tail, loop = self.tails.get(resource_id), self.loop
        if tail is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(tail.wake.set)


async def events(
    services: Any, hub: Hub, resource_id: str, last_event_id: int | None, heartbeat: float
) -> AsyncIterator[str]:
    """The event stream of one client: events after `last_event_id` (or from now), heartbeats when idle."""
    tail = await hub.tail(services, resource_id)
    tail.clients += 1
    try:
        cursor = tail.last_seq if last_event_id is None else last_event_id
        yield f"retry: 2000\n: stream of {resource_id} from event {cursor}\n\n"
        while True:
            batch = tail.since(cursor)
            if batch is None:  # behind the ring: read what was missed from storage
                batch = await asyncio.to_thread(read_since, services, resource_id, cursor)
                if not batch:
                    cursor = max(cursor, tail.base)
                    continue
            if batch:
                cursor = batch[-1][0]
                yield "".join(text for _, text in batch)
                continue
            try:
                await asyncio.wait_for(asyncio.shield(tail.waiter), heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
    finally:
        tail.clients -= 1
