"""The `sapan` command. Each command is a few lines over a documented domain function."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.progress import Progress, TaskID

from sapan.cli_context import cli_actor, err, fail, one_transaction, opened
from sapan.cli_doctor import doctor
from sapan.cli_harvest import harvest_app
from sapan.config import Settings
from sapan.errors import SapanError

app = typer.Typer(help="Sapan (สะพาน): an open-government-data portal.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
search_app = typer.Typer(help="The dataset search index.", no_args_is_help=True)
datastore_app = typer.Typer(help="DataStore tables.", no_args_is_help=True)
app.add_typer(datastore_app, name="datastore")
app.add_typer(token_app, name="token")
app.add_typer(search_app, name="search")
app.add_typer(harvest_app, name="harvest")
app.command()(doctor)


@app.command()
def init() -> None:
    """Create SAPAN_HOME, the database (migrated to the newest schema) and the file store."""
    from sapan.services import build_services

    settings = Settings()
    services = build_services(settings)
    services.close()
    err.print(
        f"Sapan is ready in {settings.home.resolve()} ({settings.resolved_database_url.split('://')[0]})"
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database schema (to the newest revision by default)."""
    from sapan.db import upgrade

    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, revision)
    err.print("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web processes (stateless; share the database).")] = 1,
    keep_alive: Annotated[
        int,
        typer.Option(
            help="Seconds an idle client connection stays open. Longer than a balancer's idle timeout "
            "(60 s on most), so a connection is never closed just as a request is sent on it."
        ),
    ] = 75,
) -> None:
    """Serve the portal and API. An empty database is migrated first."""
    import uvicorn

    from sapan.db import upgrade

    # Links in answers (upload URLs) must point where this server listens unless a public URL is set.
    os.environ.setdefault("SAPAN_SITE_URL", f"http://{host}:{port}")
    from sapan.observability.logs import log_config
    from sapan.observability.metrics import multiprocess_dir

    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    settings.resolved_secret_key  # noqa: B018 - made once here, before the web processes share it
    err.print(f"Sapan on http://{host}:{port}  (API docs at /api/docs)")
    if workers > 1 and multiprocess_dir() is None:
        err.print("[yellow]/metrics shows one web process's counts: set PROMETHEUS_MULTIPROC_DIR[/yellow]")
    uvicorn.run(
        "sapan.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(settings),  # uvicorn's lines and ours alike, text or JSON
        log_level=settings.log_level,
        access_log=False,  # the app writes its own access lines, with the request id and route
        timeout_keep_alive=keep_alive,
    )


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run the queued jobs, then exit.")] = False,
    idle: Annotated[float, typer.Option(help="Seconds to wait when the queue is empty.")] = 1.0,
) -> None:
    """Run background jobs (ingest, q index and personal-data scan) outside the web processes; any
    number of workers may run against one database: each job is claimed by one. SIGTERM or Ctrl-C
    stops it: the job it is running goes back to the queue for another worker."""
    import signal
    import threading

    from sapan.db import upgrade
    from sapan.jobs.handlers import handlers
    from sapan.jobs.recovery import recover
    from sapan.jobs.service import run_pending, work
    from sapan.observability.logs import configure_logging
    from sapan.services import build_services

    settings = Settings()
    configure_logging(settings)
    upgrade(settings.resolved_database_url)
    services = build_services(settings)
    try:
        if once:
            err.print(f"Ran {run_pending(services, handlers())} job(s).")
            return
        from sapan.harvest.schedule import HarvestScheduler
        from sapan.realtime.polling import Scheduler

        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        err.print("Sapan worker: waiting for jobs (Ctrl-C stops).")
        recover(services)  # after a crash: scratch folders and orphan files of dead processes
        polls, harvests = Scheduler(services), HarvestScheduler(services)  # enqueue runs when due
        polls.start()
        harvests.start()
        work(services, handlers(), stop, idle)
        polls.stop()
        harvests.stop()
        err.print("Sapan worker stopped.")
    finally:
        services.close()


@user_app.command("add")
def user_add(
    name: str,
    sysadmin: Annotated[bool, typer.Option("--sysadmin", help="Make the user a sysadmin.")] = False,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    password: Annotated[
        str | None, typer.Option(help="Password (prompted for when omitted on a terminal).")
    ] = None,
) -> None:
    """Add a user. Without --password, asks for one only when stdin is a terminal."""
    from sapan.accounts.service import create_user
    from sapan.db import transaction
    from sapan.services import build_services

    if password is None and sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            create_user(session, name, email=email, password=password, sysadmin=sysadmin)
    except SapanError as exc:
        fail(exc)
    finally:
        services.close()
    err.print(f"User {name} added{' (sysadmin)' if sysadmin else ''}.")


@token_app.command("create")
def token_create(
    user: str,
    name: Annotated[str, typer.Option(help="A label for the token.")] = "cli",
    expires_in: Annotated[int | None, typer.Option(help="Days until the token expires.")] = None,
) -> None:
    """Create an API token for USER and print only the token (so scripts can capture it)."""
    from sapan.accounts.service import create_token, get_user
    from sapan.db import transaction
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            _, plain = create_token(session, get_user(session, user), name, expires_in, by="cli")
    except SapanError as exc:
        fail(exc)
    finally:
        services.close()
    typer.echo(plain)


@app.command()
def demo() -> None:
    """Load the bilingual demo catalogue (Thai and Singapore datasets, a few real CSV files)."""
    from sapan.demo.loader import load_demo
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with Progress(console=err) as progress:
            task = progress.add_task("Loading demo datasets", total=None)
            added = load_demo(
                services, lambda done, total: progress.update(task, completed=done, total=total)
            )
    except SapanError as exc:
        fail(exc)
    finally:
        services.close()
    err.print("Added " + ", ".join(f"{n} {kind}" for kind, n in added.items()))


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the catalogue (one transaction: searches keep working meanwhile)."""
    from sapan.db import transaction
    from sapan.search.service import reindex
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with Progress(console=err) as progress, transaction(services.sessions) as session:
            task = progress.add_task("Indexing datasets", total=None)
            done = reindex(
                session, services.catalog, lambda n, total: progress.update(task, completed=n, total=total)
            )
    finally:
        services.close()
    err.print(f"Indexed {done} datasets.")


@datastore_app.command("ingest")
def datastore_ingest(resource_id: str) -> None:
    """(Re-)ingest a resource's file into its DataStore table, with a progress bar."""
    from sapan.datastore.service import run_ingest
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with Progress(console=err) as progress:
            task = progress.add_task("Ingesting", total=1.0)
            result = run_ingest(
                services,
                {"resource_id": resource_id},
                lambda done, message="": progress.update(
                    task, completed=done, description=message or "Ingesting"
                ),
            )
    except SapanError as exc:
        fail(exc)
    finally:
        services.close()
    sheets = f" in {result['tables']} tables (one per sheet)" if result["tables"] > 1 else ""
    err.print(
        f"{result['rows']} rows, {result['fields']} columns{sheets}. The q index is built by the worker."
    )


audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 and name each edited or deleted entry if it is broken."""
    from sapan.db import transaction
    from sapan.governance.audit import verify
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            problems = verify(session)
    finally:
        services.close()
    for problem in problems:
        err.print(f"[red]{problem}[/red]")
    if problems:
        raise typer.Exit(1)
    err.print("The audit log is intact.")


@audit_app.command("export")
def audit_export() -> None:
    """Print the whole audit log as JSON lines, oldest first."""
    import json

    from sapan.db import transaction
    from sapan.governance.audit import entry_dict, oldest_first
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            for entry in oldest_first(session):
                typer.echo(json.dumps(entry_dict(entry), ensure_ascii=False))
    finally:
        services.close()


partner_app = typer.Typer(help="Data-flow agreements with partner portals.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")


@partner_app.command("add")
def partner_add(
    name: str,
    country: Annotated[str, typer.Option(help="ISO 3166-1 code of the partner's country, e.g. SG.")],
    base_url: Annotated[str, typer.Option(help="The partner portal's URL.")],
    expires: Annotated[str, typer.Option(help="When the agreement ends (ISO 8601 date or date-time).")],
    title: Annotated[str, typer.Option(help="The partner's name for people.")] = "",
    category: Annotated[
        list[str] | None, typer.Option(help="An allowed data category (repeat; default: public).")
    ] = None,
    classification: Annotated[
        list[str] | None, typer.Option(help="An allowed classification (repeat; default: open).")
    ] = None,
    purpose: Annotated[list[str] | None, typer.Option(help="An agreed purpose (repeat).")] = None,
    licence_conditions: Annotated[str, typer.Option(help="Licence conditions of the agreement.")] = "",
    starts: Annotated[str, typer.Option(help="When it comes into force (default: now).")] = "",
) -> None:
    """Record a data-flow agreement and print only the partner's API token (shown this once)."""
    from sapan.governance.agreements import create_partner

    data = {
        "name": name, "country": country, "base_url": base_url, "expires": expires, "title": title,
        "allowed_data_categories": category or [], "allowed_classifications": classification or [],
        "purposes": purpose or [], "licence_conditions": licence_conditions, "starts": starts,
    }  # fmt: skip
    with one_transaction() as session:
        _, plain = create_partner(session, cli_actor(session), data)
    typer.echo(plain)


@partner_app.command("list")
def partner_list() -> None:
    """One line per agreement: name, country, state, expiry, base URL."""
    from sapan.governance.agreements import list_partners, partner_dict

    with one_transaction() as session:
        rows = [partner_dict(a) for a in list_partners(session, cli_actor(session))]
    for row in rows:
        typer.echo("\t".join([row["name"], row["country"], row["state"], row["expires"], row["base_url"]]))


@partner_app.command("revoke")
def partner_revoke(
    name: str, reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = ""
) -> None:
    """Revoke a data-flow agreement: the partner's token stops working at once."""
    from sapan.governance.agreements import revoke_partner

    with one_transaction() as session:
        revoke_partner(session, cli_actor(session), name, reason)
    err.print(f"Agreement {name} revoked.")


def _progress_bars(progress: Progress) -> Callable[[str, int, int], None]:
    """A progress callback drawing one bar per stage of a backup or restore."""
    labels = {
        "tables": "Table rows",
        "files": "File bytes",
        "verify": "Checking backup",
        "search": "Search index",
    }
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(labels.get(stage, stage), total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return update


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n:,} bytes"


@app.command()
def backup(
    dest: Annotated[str, typer.Argument(help="A new .tar file, or a folder to put a dated one in.")],
) -> None:
    """Back up the whole catalogue (database and files) into one .tar, consistent at one moment while
    the portal keeps running. Restore it with `sapan restore`, into SQLite or PostgreSQL."""
    from sapan.backup.create import create_backup

    with opened() as services, Progress(console=err, transient=True) as progress:
        summary = create_backup(services, dest, _progress_bars(progress))
    for item in summary.warnings:
        err.print(f"[yellow]Warning:[/yellow] {item['key']}: {item['reason']}")
    err.print(
        f"Backed up {summary.rows:,} rows in {summary.tables} tables and {summary.files:,} files "
        f"({_size(summary.file_bytes)}) to {summary.path}: {_size(summary.size)} in {summary.seconds:.1f} s."
    )


@app.command()
def restore(
    src: Annotated[str, typer.Argument(help="A backup made by `sapan backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the catalogue the target database holds.")
    ] = False,
) -> None:
    """Restore a backup into the configured database and storage, which must be empty (or --force).
    A damaged or incomplete backup is refused and nothing is changed."""
    from sapan.backup.restore import restore_backup

    try:
        with Progress(console=err, transient=True) as progress:
            summary = restore_backup(Settings(), src, force, _progress_bars(progress))
    except SapanError as exc:
        fail(exc)
    err.print(
        f"Restored {summary.rows:,} rows in {summary.tables} tables and {summary.files:,} files "
        f"({_size(summary.file_bytes)}); {summary.datasets_indexed:,} datasets indexed; "
        f"{summary.seconds:.1f} s."
    )
