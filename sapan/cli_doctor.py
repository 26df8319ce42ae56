"""`sapan doctor`: checks a deployment's configuration and the services it depends on, one line per
check (ok, info, warn, fail) with what to do about it; exit 1 when any check fails. It changes nothing
but a probe file written to and deleted from storage (it does not migrate or create the database)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from sapan.config import Settings
from sapan.observability.checks import Check, reason, timed

STYLE = {"ok": "green", "info": "cyan", "warn": "yellow", "fail": "red"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
MIB = 1024 * 1024


def doctor(
    workers: Annotated[
        int, typer.Option(help="Web processes the deployment runs (`sapan serve --workers N`).")
    ] = 1,
) -> None:
    """Check this deployment's settings, database, migrations, storage, secret key and disk; one line
    per check with a fix for each problem; exit 1 when any check fails."""
    console = Console(soft_wrap=True)  # one line per check, however narrow the terminal
    failed = False
    for check in diagnose(workers):
        failed |= check.status == "fail"
        line = f"[{STYLE[check.status]}]{check.status:<4}[/] {check.name:<10} {escape(check.detail)}"
        if check.hint and check.status != "ok":
            line += f" [dim]-> {escape(check.hint)}[/]"
        console.print(line)
    if failed:
        raise typer.Exit(1)


def diagnose(workers: int) -> Iterator[Check]:
    try:
        settings = Settings()
    except Exception as exc:  # pydantic names the variable and what is wrong with it
        yield Check("settings", "fail", " ".join(str(exc).split())[:500], "fix the SAPAN_* variable named")
        return
    url = settings.resolved_database_url
    sqlite = url.startswith("sqlite")
    production = not sqlite or workers > 1
    yield Check("settings", "ok", f"SAPAN_HOME {settings.home.resolve()}")
    database = yield from _database(url)
    if database:
        yield from _queue(settings)
    yield _storage(settings)
    yield _secret_key(settings, production)
    if sqlite and workers > 1:
        yield Check(
            "workers",
            "warn",
            f"SQLite with {workers} web processes: they take turns for every write",
            "use PostgreSQL (SAPAN_DATABASE_URL) for several processes",
        )
    if settings.embedded_worker and not sqlite:
        yield Check(
            "worker",
            "info",
            "each `sapan serve` process also runs background jobs (embedded worker)",
            "with `sapan worker` processes, SAPAN_EMBEDDED_WORKER=false leaves web processes to requests",
        )
    yield _site_url(settings, production)
    yield from _redis(settings)
    yield _disk(settings.home)
    yield from _observability(settings, workers, production)


def _database(url: str) -> Generator[Check, None, bool]:
    """The database answers and its schema is the one this version of Sapan expects; True when usable."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from sapan.observability import checks

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception as exc:
        yield Check(
            "database",
            "fail",
            f"SAPAN_DATABASE_URL is not a database URL: {reason(exc)}",
            "e.g. postgresql+psycopg://user:password@host/db",
        )
        return False
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        if not path.exists():  # connecting would create an empty file
            yield Check("database", "fail", f"no database at {path}", "run `sapan init` (or `sapan serve`)")
            return False
        engine = create_engine(url, poolclass=NullPool)
    else:
        engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        check = checks.database(engine, 5.0)
        if check.status == "fail":
            check.hint = "is the server running and SAPAN_DATABASE_URL right (host, port, user, password)?"
            check.detail = f"{shown}: {check.detail}"
            yield check
            return False
        check.detail = f"{shown} answers ({check.ms:.0f} ms)"
        yield check
        migrated = _migrations(engine, url)
        yield migrated
        return migrated.status == "ok"
    finally:
        engine.dispose()


def _migrations(engine: Engine, url: str) -> Check:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from sapan.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config(url))
    heads = set(script.get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return Check("schema", "ok", f"migrated to the newest revision ({', '.join(sorted(heads))})")
    if not current:
        return Check("schema", "fail", "the database has no Sapan tables", "run `sapan db upgrade`")
    known = {rev.revision for rev in script.walk_revisions()}
    if not current <= known:
        return Check(
            "schema",
            "fail",
            f"the database is at {', '.join(sorted(current))}, a revision this Sapan does not know",
            "run the Sapan version that migrated it (or a newer one)",
        )
    return Check(
        "schema",
        "fail",
        f"the database is at {', '.join(sorted(current))}; this Sapan needs {', '.join(sorted(heads))}",
        "run `sapan db upgrade`",
    )


def _queue(settings: Settings) -> Iterator[Check]:
    from sapan.db import make_engine, make_sessionmaker
    from sapan.observability import checks

    engine = make_engine(settings.resolved_database_url)
    try:
        check = checks.queue(make_sessionmaker(engine))
    finally:
        engine.dispose()
    age = float(check.facts.get("oldest_queued_seconds", 0))
    if check.status == "ok":
        check.detail = f"{check.facts['queued']} job(s) queued"
        if age > 600:
            check.status, check.detail = "warn", f"{check.detail}, the oldest for {age / 60:.0f} min"
            check.hint = (
                "is a worker running? (`sapan worker`, or SAPAN_EMBEDDED_WORKER=true in `sapan serve`)"
            )
    yield check


def _storage(settings: Settings) -> Check:
    from sapan.storage.service import Storage

    url = settings.resolved_storage_url

    def probe() -> None:
        store = Storage.of(settings)
        key = f".sapan-doctor/{uuid.uuid4().hex}"
        try:
            store.write(key, io.BytesIO(b"sapan doctor probe"), 1024)
            if not store.exists(key):
                raise OSError("a file written to storage cannot be found there")
        finally:
            store.delete(".sapan-doctor")

    check = timed("storage", probe)
    shown = _without_credentials(url)
    if check.status == "ok":
        check.detail = f"{shown} is writable ({check.ms:.0f} ms)"
    else:
        check.detail = f"{shown}: {check.detail}"
        check.hint = "check SAPAN_STORAGE_URL, that the folder or bucket exists and this user may write to it"
    return check


def _secret_key(settings: Settings, production: bool) -> Check:
    file = settings.home / "secret.key"
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            short = f"SAPAN_SECRET_KEY is short ({len(settings.secret_key)} characters)"
            return Check(
                "secret",
                "warn",
                short,
                "use at least 32 random characters, e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`",
            )
        return Check("secret", "ok", "SAPAN_SECRET_KEY is set")
    if production:
        where = f"only in {file}" if file.exists() else f"not set ({file} would be made by the first process)"
        return Check(
            "secret",
            "warn",
            f"the secret key is {where}: every process and machine must share one",
            "set the same SAPAN_SECRET_KEY for every web process, worker and machine",
        )
    if file.exists():
        return Check("secret", "ok", f"kept in {file}")
    return Check("secret", "info", f"not set: one will be made in {file} at the first start")


def _site_url(settings: Settings, production: bool) -> Check:
    parts = urlsplit(settings.site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check(
            "site_url",
            "fail",
            f"SAPAN_SITE_URL {settings.site_url!r} is not an http(s) URL",
            "set it to the portal's public address, e.g. https://data.example.go.th",
        )
    if production and parts.hostname in LOCAL_HOSTS:
        return Check(
            "site_url",
            "warn",
            f"{settings.site_url} is this machine: links in answers and "
            "DCAT/harvest URLs will not work for others",
            "set SAPAN_SITE_URL to the public address",
        )
    return Check("site_url", "ok", settings.site_url)


def _redis(settings: Settings) -> Iterator[Check]:
    """Every setting holding a Redis URL (e.g. the rate-limit storage) must reach its server."""
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, str) and value.startswith(("redis://", "rediss://")):
            yield redis_check(f"SAPAN_{name.upper()}", value)


def redis_check(variable: str, url: str) -> Check:
    shown = _without_credentials(url)
    try:
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=3) as s:
            if parts.scheme == "rediss":
                return Check("redis", "ok", f"{variable} {shown} accepts connections (TLS not checked)")
            s.sendall(b"PING\r\n")
            reply = s.recv(128)
    except (OSError, ValueError) as exc:
        return Check(
            "redis", "fail", f"{variable} {shown}: {reason(exc)}", "is Redis running at that address?"
        )
    if reply.startswith(b"+PONG") or b"NOAUTH" in reply:
        return Check("redis", "ok", f"{variable} {shown} answers")
    return Check("redis", "fail", f"{variable} {shown} answered {reply[:60]!r}", "is that a Redis server?")


def _disk(home: Path) -> Check:
    folder = home.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    detail = f"{usage.free / 1024**3:.1f} GiB free of {usage.total / 1024**3:.0f} GiB at {folder}"
    if usage.free < 200 * MIB:
        return Check("disk", "fail", detail, "free space: uploads and ingests stop when the disk is full")
    if usage.free < 2 * 1024 * MIB or usage.free < usage.total * 0.05:
        return Check("disk", "warn", detail, "free space before uploads and ingests fill the disk")
    return Check("disk", "ok", detail)


def _observability(settings: Settings, workers: int, production: bool) -> Iterator[Check]:
    from sapan.observability.metrics import MULTIPROC_ENV, multiprocess_dir

    folder = multiprocess_dir()
    if folder is not None:
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            yield Check(
                "metrics",
                "fail",
                f"{MULTIPROC_ENV}={folder} is not a writable folder",
                "create it (empty) before starting Sapan's processes",
            )
        else:
            yield Check("metrics", "ok", f"processes aggregate their metrics in {folder}")
    elif workers > 1:
        alone = f"/metrics of one of {workers} web processes shows only its own counts"
        yield Check(
            "metrics", "warn", alone, f"set {MULTIPROC_ENV} to an empty folder shared by every process"
        )
    if production and not settings.metrics_token:
        yield Check(
            "metrics",
            "info",
            "/metrics is open to anyone who can reach the server",
            "set SAPAN_METRICS_TOKEN (or let only the monitoring network reach /metrics)",
        )
    if production and settings.log_format != "json":
        yield Check("logs", "info", "logs are text lines", "SAPAN_LOG_FORMAT=json for a log shipper")


def _without_credentials(url: str) -> str:
    from sapan.observability.logs import redact

    return redact(url)
