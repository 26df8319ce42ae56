"""Alembic environment: runs migrations on the URL given in the config (see sapan.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

import sapan.models  # noqa: F401
from sapan.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sapan.db.upgrade sets sqlalchemy.url"

connectable = config.attributes.get("connection")
if connectable is None:
    engine = make_engine(url) if url.startswith("sqlite") else None
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
else:
    context.configure(connection=connectable, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
