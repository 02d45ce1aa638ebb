"""The fixtures' shortcuts give what the long way gives: a copied schema is the migrated one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from gate.store.db import HEAD, make_engine, schema_revision, upgrade
from tests.conftest import dump_schema, new_schema, schema_url


@pytest.mark.postgres
def test_a_copied_postgresql_schema_is_exactly_a_migrated_one(
    postgres_url: str, postgres_admin: Engine
):
    copied = postgres_url.rsplit("%3D", 1)[1]
    migrated = new_schema()
    with postgres_admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{migrated}"'))
    try:
        engine = make_engine(schema_url(migrated))
        upgrade(engine)
        engine.dispose()
        made = dump_schema(migrated).replace(migrated, "SCHEMA")
        assert dump_schema(copied).replace(copied, "SCHEMA") == made
        assert "CREATE TABLE SCHEMA.flight" in made
    finally:
        with postgres_admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{migrated}" CASCADE'))
    copy = make_engine(postgres_url)
    assert schema_revision(copy) == HEAD
    with copy.connect() as connection:
        # Analyzed as upgrade() leaves it: an empty table's row estimate is 0, never-analyzed -1.
        analyzed = "SELECT reltuples FROM pg_class WHERE oid = 'flight'::regclass"
        assert connection.scalar(text(analyzed)) == 0
    copy.dispose()


def test_slow_on_an_engine_skips_only_that_engines_run():
    """`@pytest.mark.slow(on="postgres")` leaves the SQLite run in the default run."""
    from tests.conftest import is_slow

    class Spec:
        def __init__(self, engine: str) -> None:
            self.params = {"db_url": engine}

    class Item:
        def __init__(self, marker: pytest.Mark | None, engine: str | None) -> None:
            self.marker = marker
            if engine is not None:
                self.callspec = Spec(engine)

        def get_closest_marker(self, _name: str) -> pytest.Mark | None:
            return self.marker

    on_postgres = pytest.mark.slow(on="postgres").mark
    plain = pytest.mark.slow.mark
    assert is_slow(Item(on_postgres, "postgres"))  # type: ignore[arg-type]
    assert not is_slow(Item(on_postgres, "sqlite"))  # type: ignore[arg-type]
    assert not is_slow(Item(on_postgres, None))  # type: ignore[arg-type]
    assert is_slow(Item(plain, "sqlite"))  # type: ignore[arg-type]
    assert not is_slow(Item(None, "postgres"))  # type: ignore[arg-type]
