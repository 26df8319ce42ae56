"""The long-lived objects one process builds at start-up and every request shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sapan.catalog.context import CatalogConfig
from sapan.catalog.profiles import load_profile
from sapan.config import Settings
from sapan.db import make_engine, make_sessionmaker, upgrade
from sapan.realtime.stream import Hub
from sapan.storage.service import Storage


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalog: CatalogConfig
    realtime_hub: Hub = field(default_factory=Hub)  # wakes this process's event streams

    def close(self) -> None:
        self.engine.dispose()


def build_services(settings: Settings, migrate: bool = True) -> Services:
    """Connect to the database (migrating it to the newest schema) and open storage."""
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    catalog = CatalogConfig(
        profile=load_profile(settings.dataset_profile),
        storage=Storage.of(settings),
        site_url=settings.site_url,
        max_upload_bytes=settings.max_upload_bytes,
        cross_lingual=settings.search_cross_lingual,
        vectors=settings.search_cross_lingual and settings.search_vectors,
        realtime_min_poll_seconds=settings.realtime_min_poll_seconds,
    )
    return Services(settings, engine, make_sessionmaker(engine), catalog)
