"""What a killed process leaves behind, and its clean-up when a worker starts: scratch folders of
dead workers, and stored files no row points at (a web process killed between storing an upload and
committing its resource, a worker killed between writing a Parquet table and switching to it, or the
tables an ingest replaced). Such files are never visible: only rows make a file reachable."""

from __future__ import annotations

import logging
import time
from itertools import islice
from typing import Any

from sapan.catalog.resources import upload_keys
from sapan.datastore.ingest import remove_dead_workdirs
from sapan.datastore.service import table_keys
from sapan.db import transaction

log = logging.getLogger("sapan.jobs")

# A file younger than this may belong to an upload or ingest still on its way to its commit (or to a
# query still reading a replaced table).
GRACE_SECONDS = 3600.0
PREFIXES = {"resources": upload_keys, "datastore": table_keys}  # keys are {prefix}/{resource id}/...


def sweep_orphans(services: Any, older_than: float = GRACE_SECONDS) -> list[str]:
    """Delete stored files under resources/ and datastore/ that no row refers to and that nobody
    touched for `older_than` seconds; returns their keys."""
    storage, cutoff, removed = services.catalog.storage, time.time() - older_than, []
    for prefix, referenced in PREFIXES.items():
        old = ((key, key.split("/")[1]) for key, modified in storage.listing(prefix) if modified < cutoff)
        while batch := list(islice(old, 500)):
            with transaction(services.sessions) as session:
                kept = referenced(session, sorted({rid for _, rid in batch}))
            for key, _ in batch:
                if key not in kept:
                    storage.delete(key)
                    removed.append(key)
    return removed


def recover(services: Any) -> None:
    """A worker's start: clean up after processes that died (their jobs are taken over by lease)."""
    try:
        dirs = remove_dead_workdirs()
        files = sweep_orphans(services)
    except Exception:  # a clean-up must not keep the worker from starting
        log.warning("clean-up after dead processes failed", exc_info=True)
        return
    if dirs or files:
        log.info("removed %s scratch folders and %s orphan files of dead processes", dirs, len(files))
