"""A real-time feed on its resource page: the latest value of each station's variables (server-rendered,
so it reads without JavaScript), how fresh the feed is, and a live chart and station map that
feed.js keeps up to date from the feed's event stream. The JSON twins are /api/realtime/{id}/latest,
/history and /stream."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from sapan.accounts.service import ANONYMOUS, Actor
from sapan.catalog.context import CatalogConfig
from sapan.realtime import queries
from sapan.realtime.feeds import readable_feed

MAX_STATIONS = 500  # rows of the page's table; the map and the API have them all


def feed_view(
    session: Session, cfg: CatalogConfig, res: dict[str, Any], actor: Actor = ANONYMOUS
) -> dict[str, Any] | None:
    """What the page shows of a real-time resource to this visitor, or None for any other resource."""
    if res.get("resource_type") != "realtime":
        return None
    feed = readable_feed(session, actor, res["id"])
    records = queries.latest(session, cfg.storage, feed, {})["records"]
    variables = sorted({r["variable"] for r in records})
    stations: dict[str, dict[str, Any]] = defaultdict(lambda: {"values": {}, "location": None})
    for r in records:
        station = stations[r["entity"]]
        station["values"][r["variable"]] = {"value": r["value"], "unit": r.get("unit") or ""}
        station["location"] = station["location"] or r.get("location")
        station["observed_at"] = max(station.get("observed_at", ""), r["observed_at"])
    rows = [{"entity": name, **station} for name, station in sorted(stations.items())]
    return {
        "resource_id": res["id"],
        "kind": res.get("realtime_kind"),
        "stale": bool(res.get("realtime_stale")),
        "error": res.get("realtime_error") or "",
        "last_observation": res.get("realtime_last_observation"),
        "poll_seconds": res.get("realtime_poll_seconds"),
        "variables": variables,
        "stations": rows[:MAX_STATIONS],
        "station_count": len(rows),
        "has_map": any(s["location"] for s in rows),
    }
