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
    realtime_min_poll_seconds: int = 30
