"""Fault tests run real `sapan` processes (workers, web servers, a private PostgreSQL) and break them
the hard way: kill -9, a database restart. They are part of the normal suite (marker `faults`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from sapan.config import Settings
from sapan.services import Services, build_services
from tests.conftest import fresh_database_url, make_user


@dataclass
class Site:
    """A Sapan installation on disk and in a database, shared by the test and the processes it starts."""

    home: Path
    url: str
    services: Services
    token: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "SAPAN_HOME": str(self.home),
            "SAPAN_DATABASE_URL": self.url,
            "SAPAN_STORAGE_URL": str(self.home / "files"),
            "SAPAN_LOG_LEVEL": "warning",
            **extra,
        }

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        """`python -m sapan ARGS` in its own process; its output goes to a log in SAPAN_HOME."""
        log = (self.home / f"{args[0]}-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "sapan", *args], env=self.env(**env), stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def serve(self, port: int, **env: str) -> subprocess.Popen[bytes]:
        process = self.start("serve", "--port", str(port), SAPAN_EMBEDDED_WORKER="false", **env)
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/api/3/action/status_show"), 30, process)
        return process

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.home.glob("*.log")))


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(
    condition: Callable[[], Any], seconds: float, process: subprocess.Popen[bytes] | None = None
) -> Any:
    """Poll until `condition()` is truthy; fail after `seconds` (or when `process` died)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"process exited with {process.returncode} while waiting")
        time.sleep(0.02)
    pytest.fail(f"still waiting after {seconds} s")


def kill9(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """An empty installation (a new SQLite file or PostgreSQL schema) with a sysadmin's token."""
    home = tmp_path_factory.mktemp("site")
    for url in fresh_database_url(request.param, tmp_path_factory):
        settings = Settings(home=home, database_url=url, storage_url=str(home / "files"))
        services = build_services(settings)
        found = Site(home, url, services)
        found.token = make_user(services, "admin", sysadmin=True)[1]
        try:
            yield found
        finally:
            for process in found.processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
            services.close()
