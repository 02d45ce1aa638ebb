"""Alembic environment: runs on the engine pushgate hands over, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from gate.store.records import Base

config = context.config
engine: Engine = config.attributes.get("engine") or create_engine(
    config.get_main_option("sqlalchemy.url") or "sqlite:///pushgate.sqlite"
)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
