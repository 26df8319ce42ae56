"""The target of a restore: refused when it holds a catalogue, and its schema brought to the backup's
revision (the rows are loaded into the schema they were read from, then migrated like any database)."""

from __future__ import annotations

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect, text

from sapan.backup.archive import BackupError
from sapan.db import alembic_config

# What makes a database a catalogue (migrations alone seed only the licences).
CATALOGUE_TABLES = {"dataset": "datasets", "group": "organizations and groups", "user": "users"}


def refuse_unless_empty(engine: Engine, force: bool) -> None:
    """BackupError when the target holds datasets, organizations or users, unless `force`."""
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        held = {
            label: int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
            for table, label in CATALOGUE_TABLES.items()
            if table in present
        }
    held = {label: n for label, n in held.items() if n}
    if held and not force:
        what = ", ".join(f"{n} {label}" for label, n in held.items())
        raise BackupError(
            f"The target database is not empty ({what}): restore into an empty database, "
            "or give --force to replace everything in it"
        )


def check_revision(url: str, revision: str) -> None:
    """BackupError when the backup's schema is newer than this version of Sapan knows."""
    script = ScriptDirectory.from_config(alembic_config(url))
    try:
        script.get_revision(revision)
    except CommandError as exc:
        raise BackupError(
            f"The backup's schema (revision {revision}) is newer than this version of Sapan knows "
            f"(newest {script.get_current_head()}): restore it with the Sapan that made it, or a newer one"
        ) from exc


def move_schema_to(url: str, engine: Engine, revision: str) -> None:
    """Create or migrate the (empty) target's schema to exactly `revision`."""
    check_revision(url, revision)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == revision:
        return
    import sapan.models  # noqa: F401

    script = ScriptDirectory.from_config(alembic_config(url))
    newer = current is not None and revision in {
        r.revision for r in script.iterate_revisions(current, "base")
    }
    if newer:  # an empty target made by a newer Sapan: step its schema down to the backup's
        command.downgrade(alembic_config(url), revision)
    else:
        command.upgrade(alembic_config(url), revision)
