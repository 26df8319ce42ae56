"""Scheduled runs: every tick, sources whose next_run has come get one harvest job. Moving next_run on
and creating the job happen in one transaction, conditional on the time read, so schedulers in
several processes start each due run once (as realtime/polling.py does for feeds)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from sapan.accounts.service import site_actor
from sapan.db import transaction, utcnow
from sapan.errors import ValidationError
from sapan.harvest.models import HarvestSource
from sapan.harvest.sources import create_job, next_run_after

log = logging.getLogger("sapan.harvest")


def enqueue_due(services: Any, now: datetime | None = None) -> int:
    """Start the runs that are due; returns how many were started."""
    now = now or utcnow()
    started = 0
    with transaction(services.sessions) as session:
        due = session.execute(
            select(HarvestSource.id, HarvestSource.next_run, HarvestSource.frequency).where(
                HarvestSource.state == "active", HarvestSource.next_run <= now
            )
        ).all()
        if not due:
            return 0
        actor = site_actor(session)
        for source_id, next_run, frequency in due:
            moved = session.execute(
                update(HarvestSource)
                .where(HarvestSource.id == source_id, HarvestSource.next_run == next_run)
                .values(next_run=next_run_after(frequency, now))
            )
            if getattr(moved, "rowcount", 0) != 1:
                continue  # another process took it
            try:
                create_job(session, actor, source_id)
                started += 1
            except ValidationError:  # a run of it is still waiting or running: this one is skipped
                pass
    return started


class HarvestScheduler(threading.Thread):
    """Starts due harvest runs every `tick` seconds while the app runs."""

    def __init__(self, services: Any, tick: float = 30.0) -> None:
        super().__init__(name="sapan-harvest-scheduler", daemon=True)
        self.services, self.tick = services, tick
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                enqueue_due(self.services)
            except Exception:  # database briefly away: try again at the next tick
                log.exception("harvest scheduler")
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
