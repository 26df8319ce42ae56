"""Sapan's Prometheus metrics. Every process records into prometheus_client's default registry; with
PROMETHEUS_MULTIPROC_DIR set (before the process starts) each process writes its samples to files in
that folder and /metrics of any process adds up all of them: several `sapan serve` workers and separate
`sapan worker` processes then report as one. The job queue's depth is read from the database at scrape
time, so every process reports the same numbers."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable
from typing import Concatenate, ParamSpec, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session, sessionmaker

from sapan.db import transaction

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

HTTP_SECONDS = Histogram(
    "sapan_http_request_duration_seconds",
    "Time to answer a request, by route template (an action's own route for the Action API), method "
    "and status class.",
    ["route", "method", "status"],
)
SEARCH_SECONDS = Histogram(
    "sapan_search_duration_seconds",
    "Time of a dataset search (package_search, the portal's search page), by database backend.",
    ["backend"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
JOB_SECONDS = Histogram(
    "sapan_job_duration_seconds",
    "Time a background job ran, by kind and outcome (done, failed).",
    ["kind", "outcome"],
    buckets=JOB_BUCKETS,
)
INGEST_ROWS = Counter("sapan_ingest_rows", "Rows written to DataStore tables by ingests.", ["format"])
INGEST_SECONDS = Counter(
    "sapan_ingest_seconds",
    "Seconds spent in successful ingests (rate(rows)/rate(seconds) = rows/s).",
    ["format"],
)
HARVEST_DATASETS = Counter(
    "sapan_harvest_datasets",
    "Datasets handled by harvest runs, by source type and action (created, updated, deleted, failed, "
    "unchanged, skipped).",
    ["source_type", "action"],
)
HARVEST_RUNS = Counter(
    "sapan_harvest_runs",
    "Harvest runs, by source type and outcome (finished, failed).",
    ["source_type", "outcome"],
)

P = ParamSpec("P")
R = TypeVar("R")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"  # a label set bounded whatever clients send
    HTTP_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)


def timed_search(search: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session, P], R]:
    """Decorate the dataset search (its first argument is the session) to time each answered search."""

    @functools.wraps(search)
    def timed(session: Session, *args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        answer = search(session, *args, **kwargs)
        SEARCH_SECONDS.labels(session.get_bind().dialect.name).observe(time.perf_counter() - started)
        return answer

    return timed


def ingested(file_format: str, rows: int, seconds: float) -> None:
    INGEST_ROWS.labels(file_format).inc(rows)
    INGEST_SECONDS.labels(file_format).inc(seconds)


def harvested(source_type: str, counts: dict[str, int] | None) -> None:
    """A harvest run's counts (None: the source could not be read and the run failed)."""
    HARVEST_RUNS.labels(source_type, "failed" if counts is None else "finished").inc()
    for action, n in (counts or {}).items():
        HARVEST_DATASETS.labels(source_type, action).inc(n)


class JobQueueCollector:
    """Jobs waiting or running by kind and state, and the age of the oldest waiting one, read from the
    job table at each scrape (a gauge kept in memory would differ between processes)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterable[Metric]:
        from sapan.jobs.stats import oldest_queued_age, queue_depth

        up = GaugeMetricFamily("sapan_job_queue_up", "1 when the job table could be read at this scrape.")
        try:
            with transaction(self.sessions) as session:
                depth, oldest = queue_depth(session), oldest_queued_age(session)
        except Exception:  # the database is away: /metrics still answers, and says so
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        gauge = GaugeMetricFamily(
            "sapan_job_queue_depth", "Jobs queued or running, by kind and state.", labels=["kind", "state"]
        )
        for (kind, state), n in sorted(depth.items()):
            gauge.add_metric([kind, state], n)
        age = GaugeMetricFamily(
            "sapan_job_queue_oldest_seconds", "Age of the oldest queued job in seconds (0: none is waiting)."
        )
        age.add_metric([], oldest or 0.0)
        return [up, gauge, age]


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def scrape(sessions: sessionmaker[Session]) -> bytes:
    """The text exposition of every metric: this process's (or all processes' in multiprocess mode)
    and the job queue's."""
    registry = CollectorRegistry()
    if (folder := multiprocess_dir()) is not None:
        MultiProcessCollector(registry, folder)
    else:
        registry.register(_ThisProcess())
    registry.register(JobQueueCollector(sessions))
    return generate_latest(registry)


class _ThisProcess:
    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def sample(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    """The sum of the samples of an exposition with this name and these labels (others free); None
    when there is none."""
    from prometheus_client.parser import text_string_to_metric_families

    values = [
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in (labels or {}).items())
    ]
    return float(sum(values)) if values else None
