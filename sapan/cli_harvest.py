"""`sapan harvest add|list|run|status|remove`: a few lines each over sapan.harvest.sources and run."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from sapan.config import Settings
from sapan.errors import SapanError

harvest_app = typer.Typer(help="Harvest sources (CKAN, DCAT, data.gov.sg).", no_args_is_help=True)
err = Console(stderr=True)


def _fail(exc: SapanError) -> None:
    err.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(1)


@harvest_app.command("add")
def harvest_add(
    name: str,
    url: str,
    source_type: Annotated[str, typer.Option("--type", help="ckan, dcat or datagovsg.")] = "ckan",
    frequency: Annotated[str, typer.Option(help="manual, hourly, daily or weekly.")] = "manual",
    title: Annotated[str, typer.Option(help="Shown in harvested datasets' provenance.")] = "",
    config: Annotated[str, typer.Option(help='JSON, e.g. {"organizations": ["nso"]}.')] = "",
) -> None:
    """Add a harvest source; prints its id."""
    from sapan.accounts.service import site_actor
    from sapan.db import transaction
    from sapan.harvest.sources import create_source
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            data = {"name": name, "url": url, "source_type": source_type, "frequency": frequency,
                    "title": title or name, "config": config}  # fmt: skip
            source = create_source(session, site_actor(session), data)
    except SapanError as exc:
        _fail(exc)
    finally:
        services.close()
    typer.echo(source["id"])


@harvest_app.command("list")
def harvest_list() -> None:
    """One line per source: name, type, frequency, last run's status, URL."""
    from sapan.db import transaction
    from sapan.harvest.sources import list_sources
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            sources = list_sources(session)
    finally:
        services.close()
    for s in sources:
        last = s["status"]["last_job"]
        status = last["status"] if last else "-"
        typer.echo("\t".join([s["name"], s["source_type"], s["frequency"].lower(), status, s["url"]]))


@harvest_app.command("run")
def harvest_run(source: str) -> None:
    """Harvest a source now, in this process, with a progress bar."""
    from sapan.accounts.service import site_actor
    from sapan.db import transaction
    from sapan.harvest.run import run_harvest
    from sapan.harvest.sources import create_job
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            job = create_job(session, site_actor(session), source, background=False)
        with Progress(console=err) as progress:
            task = progress.add_task("Harvesting", total=1.0)

            def show(done: float, message: str = "") -> None:
                progress.update(task, completed=done, description=message or "Harvesting")

            result = run_harvest(services, {"harvest_job_id": job["id"]}, show)
    except SapanError as exc:
        _fail(exc)
    finally:
        services.close()
    err.print(", ".join(f"{n} {k}" for k, n in result.items() if k != "harvest_job_id"))


@harvest_app.command("status")
def harvest_status(source: str) -> None:
    """The source with its last run (JSON, as harvest_source_show answers)."""
    from sapan.db import transaction
    from sapan.harvest.sources import get_source, source_dict
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            shown = source_dict(session, get_source(session, source))
    except SapanError as exc:
        _fail(exc)
    finally:
        services.close()
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@harvest_app.command("remove")
def harvest_remove(source: str) -> None:
    """Stop harvesting a source (its datasets stay)."""
    from sapan.accounts.service import site_actor
    from sapan.db import transaction
    from sapan.harvest.sources import delete_source
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        with transaction(services.sessions) as session:
            delete_source(session, site_actor(session), source)
    except SapanError as exc:
        _fail(exc)
    finally:
        services.close()
    err.print(f"Removed {source}.")
