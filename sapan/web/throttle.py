"""The login rate limit: failures counted per client address and per user name in a sliding window,
in the rate-limit store (Redis in production), so that N processes behind a balancer share one count.
While the store cannot be reached, logins are not throttled (a warning is logged)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond

from sapan.api.ratelimit import RateLimitStore

LIMIT = 10
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    def __init__(self, store: RateLimitStore, limit: int = LIMIT, window: int = WINDOW_SECONDS) -> None:
        self.store = store
        self.item = RateLimitItemPerSecond(limit, window, namespace="LOGIN")

    def _retry_after(self, keys: tuple[str, ...]) -> int:
        wait = 0.0
        for key in keys:
            if not self.store.moving.test(self.item, key):
                stats = self.store.moving.get_window_stats(self.item, key)
                wait = max(wait, stats.reset_time - time.time())
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def _failed(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self.store.moving.hit(self.item, key)

    def _forget(self, key: str) -> None:
        self.store.moving.clear(self.item, key)

    async def retry_after(self, keys: tuple[str, ...]) -> int:
        """Seconds until another try is allowed for all of these keys (0: now)."""
        return await self.store.run(self._retry_after, keys) or 0

    async def failed(self, keys: tuple[str, ...]) -> None:
        await self.store.run(self._failed, keys)

    async def forget(self, key: str) -> None:
        await self.store.run(self._forget, key)


def keys_for(address: str, user_name: str) -> tuple[str, str]:
    return (f"ip:{address}", f"user:{user_name.strip().lower()[:100]}")
