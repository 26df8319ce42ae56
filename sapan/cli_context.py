"""What the `sapan` commands share: the error console, a readable failure (exit 1, never a traceback),
the configured catalogue opened for one command, and the actor CLI changes are recorded as."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from sapan.config import Settings
from sapan.errors import SapanError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sapan.accounts.service import Actor
    from sapan.services import Services

err = Console(stderr=True)


def fail(exc: SapanError) -> NoReturn:
    err.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(1)


@contextmanager
def opened() -> Iterator[Services]:
    """The configured catalogue's services for one command; what the domain refuses ends it readably."""
    from sapan.services import build_services

    services = build_services(Settings())
    try:
        yield services
    except SapanError as exc:
        fail(exc)
    finally:
        services.close()


@contextmanager
def one_transaction() -> Iterator[Session]:
    """One transaction on the configured catalogue (committed when the block ends without error)."""
    from sapan.db import transaction

    with opened() as services, transaction(services.sessions) as session:
        yield session


def cli_actor(session: Session) -> Actor:
    """The site's sysadmin, named `cli` in the audit log (as every CLI change is)."""
    from sapan.accounts.service import site_actor

    return replace(site_actor(session), name="cli")
