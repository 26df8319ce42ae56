"""The login rate limit: failures counted per client address and per user name in a sliding window.
Kept in the process's memory, so with N processes behind a balancer a guesser gets N times the tries;
that still turns a password-guessing run into years."""

from __future__ import annotations

import threading
import time
from collections import deque

LIMIT = 10
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 100_000  # a flood of distinct names cannot grow the table without end


class LoginThrottle:
    def __init__(self, limit: int = LIMIT, window: int = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def retry_after(self, keys: tuple[str, ...], now: float | None = None) -> int:
        """Seconds until another try is allowed for all of these keys (0: now)."""
        now = time.time() if now is None else now
        wait = 0.0
        with self._lock:
            for key in keys:
                found = self._recent(key, now)
                if len(found) >= self.limit:
                    wait = max(wait, found[-self.limit] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, keys: tuple[str, ...], now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                for key in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[key]
            for key in keys:
                found = self._recent(key, now)
                found.append(now)
                self._failures[key] = found

    def forget(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def keys_for(address: str, user_name: str) -> tuple[str, str]:
    return (f"ip:{address}", f"user:{user_name.strip().lower()[:100]}")
