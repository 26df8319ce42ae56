"""Web processes that start together on a new SAPAN_HOME end up with one secret key (sessions and
masked personal data must agree across processes)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from sapan.config import Settings


def resolve(home: str, go: Any, keys: Any) -> None:
    go.wait(10)
    keys.put(Settings(home=Path(home), secret_key=None).resolved_secret_key)


def test_processes_starting_at_once_share_one_secret_key(tmp_path: Path) -> None:
    fork = multiprocessing.get_context("fork")
    go, keys = fork.Event(), fork.Queue()
    processes = [fork.Process(target=resolve, args=(str(tmp_path), go, keys)) for _ in range(8)]
    for process in processes:
        process.start()
    go.set()
    for process in processes:
        process.join(timeout=30)
    found = {keys.get(timeout=5) for _ in processes}
    assert len(found) == 1 and len(found.pop()) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no leftovers
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
