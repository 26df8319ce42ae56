"""What catalogue services need besides a session: the profile, storage and a few settings."""

from __future__ import annotations

from dataclasses import dataclass

from sapan.catalog.profiles import Profile
from sapan.storage.service import Storage


@dataclass(frozen=True)
class CatalogConfig:
    profile: Profile
    storage: Storage
    site_url: str
    max_upload_bytes: int
    cross_lingual: bool = True  # search also looks for the query's translation
    vectors: bool = False  # ...and for the datasets nearest it by sentence vectors
    realtime_min_poll_seconds: int = 30
