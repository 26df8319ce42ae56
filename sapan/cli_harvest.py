"""`sapan harvest add|list|run|status|remove`: a few lines each over sapan.harvest.sources and run."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import Progress

from sapan.cli_context import cli_actor, err, one_transaction, opened

harvest_app = typer.Typer(help="Harvest sources (CKAN, DCAT, data.gov.sg).", no_args_is_help=True)


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
    from sapan.harvest.sources import create_source

    data = {"name": name, "url": url, "source_type": source_type, "frequency": frequency,
            "title": title or name, "config": config}  # fmt: skip
    with one_transaction() as session:
        source = create_source(session, cli_actor(session), data)
    typer.echo(source["id"])


@harvest_app.command("list")
def harvest_list() -> None:
    """One line per source: name, type, frequency, last run's status, URL."""
    from sapan.harvest.sources import list_sources

    with one_transaction() as session:
        sources = list_sources(session)
    for s in sources:
        last = s["status"]["last_job"]
        status = last["status"] if last else "-"
        typer.echo("\t".join([s["name"], s["source_type"], s["frequency"].lower(), status, s["url"]]))


@harvest_app.command("run")
def harvest_run(source: str) -> None:
    """Harvest a source now, in this process, with a progress bar."""
    from sapan.db import transaction
    from sapan.harvest.run import run_harvest
    from sapan.harvest.sources import create_job

    with opened() as services:
        with transaction(services.sessions) as session:
            job = create_job(session, cli_actor(session), source, background=False)
        with Progress(console=err) as progress:
            task = progress.add_task("Harvesting", total=1.0)

            def show(done: float, message: str = "") -> None:
                progress.update(task, completed=done, description=message or "Harvesting")

            result = run_harvest(services, {"harvest_job_id": job["id"]}, show)
    err.print(", ".join(f"{n} {k}" for k, n in result.items() if k != "harvest_job_id"))


@harvest_app.command("status")
def harvest_status(source: str) -> None:
    """The source with its last run (JSON, as harvest_source_show answers)."""
    from sapan.harvest.sources import get_source, source_dict

    with one_transaction() as session:
        shown = source_dict(session, get_source(session, source))
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@harvest_app.command("remove")
def harvest_remove(source: str) -> None:
    """Stop harvesting a source (its datasets stay)."""
    from sapan.harvest.sources import delete_source

    with one_transaction() as session:
        delete_source(session, cli_actor(session), source)
    err.print(f"Removed {source}.")
