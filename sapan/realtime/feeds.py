"""Feeds as resources: a resource created with `resource_type: "realtime"` gets a feed; its settings and
its freshness (last observation, stale flag, last error) print in the resource dict."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from sapan.accounts import permissions
from sapan.accounts.service import Actor
from sapan.catalog.models import Resource
from sapan.catalog.resources import readable_owner
from sapan.db import utcnow
from sapan.errors import NotFound
from sapan.realtime.models import Feed
from sapan.realtime.schemas import REALTIME_KEYS, parse_settings

REALTIME = "realtime"


def configure_feed(session: Session, res: Resource, data: dict[str, Any], min_poll_seconds: int) -> None:
    """Create or change the feed of a real-time resource (in the caller's transaction); raises
    ValidationError for bad settings. Its URL is where the feed's latest values are served."""
    settings = parse_settings(data, min_poll_seconds)
    feed = session.get(Feed, res.id)
    if feed is None:
        feed = Feed(resource_id=res.id, partitions={}, last_seq=0, failures=0, stale=False, created=utcnow())
        session.add(feed)
    changed_source = (feed.source_url, feed.mapping) != (settings.source_url, settings.mapping)
    feed.kind, feed.source_url = settings.kind, settings.source_url
    feed.poll_seconds, feed.mapping = settings.poll_seconds, settings.mapping
    if feed.kind == "polled" and (feed.next_poll_at is None or changed_source):
        feed.next_poll_at, feed.failures = utcnow(), 0  # a new source is polled at once
    elif feed.kind == "pushed":
        feed.next_poll_at = None
    res.extras = {
        **{k: v for k, v in (res.extras or {}).items() if k not in REALTIME_KEYS},
        "resource_type": REALTIME,
    }


def feed_fields(session: Session, resource_id: str) -> dict[str, Any]:
    """The feed's settings and freshness, as resource-dict fields. A polled feed is also stale when no
    poll has succeeded for three of its periods (its worker may be down)."""
    feed = session.get(Feed, resource_id)
    if feed is None:
        return {}
    stale = feed.stale
    if feed.kind == "polled" and not stale:
        last = feed.last_received_at or feed.created
        stale = utcnow() - last > timedelta(seconds=3 * feed.poll_seconds + 60)
    mapping: Any = feed.mapping.get("name") if set(feed.mapping) <= {"name"} else feed.mapping
    out: dict[str, Any] = {
        "realtime_kind": feed.kind,
        "realtime_mapping": mapping,
        "realtime_last_observation": _iso(feed.last_observed_at),
        "realtime_stale": stale,
        "realtime_error": feed.error,
    }
    if feed.kind == "polled":
        out.update(
            realtime_source_url=feed.source_url,
            realtime_poll_seconds=feed.poll_seconds,
            realtime_last_poll=_iso(feed.last_polled_at),
            realtime_next_poll=_iso(feed.next_poll_at),
        )
    return out


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def readable_feed(session: Session, actor: Actor, resource_id: Any) -> Feed:
    """The feed of a resource the actor may read; private datasets' feeds are 404 to outsiders."""
    return _feed(session, resource_id, readable_owner(session, actor, resource_id))


def writable_feed(session: Session, actor: Actor, resource_id: Any) -> Feed:
    """The feed of a resource the actor may push to (its dataset's editors); NotAuthorized otherwise."""
    owner = readable_owner(session, actor, resource_id)
    permissions.ensure_edit_in(actor, owner, "push observations to this feed")
    return _feed(session, resource_id, owner)


def _feed(session: Session, resource_id: str, owner: str | None) -> Feed:
    feed = session.get(Feed, resource_id)
    if feed is None:
        raise NotFound("Resource is not a real-time feed")
    return feed


def realtime_feed_of(session: Session, actor: Actor, resource_id: Any) -> Feed | None:
    """The feed, when this resource id is a real-time feed's (read permission checked); else None."""
    if not isinstance(resource_id, str) or session.get(Feed, resource_id) is None:
        return None
    return readable_feed(session, actor, resource_id)
