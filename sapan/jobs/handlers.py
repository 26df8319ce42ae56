"""Which function runs which kind of job."""

from __future__ import annotations

from typing import Any


def handlers() -> dict[str, Any]:
    from sapan.datastore.service import run_index, run_ingest
    from sapan.harvest.files import run_fetch
    from sapan.harvest.run import run_harvest
    from sapan.realtime.polling import run_compact, run_poll
    from sapan.search.service import run_vectors

    return {
        "ingest": run_ingest,
        "datastore_index": run_index,
        "realtime_poll": run_poll,
        "realtime_compact": run_compact,
        "harvest": run_harvest,
        "harvest_resource": run_fetch,
        "search_vectors": run_vectors,
    }
