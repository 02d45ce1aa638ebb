"""The web tests' shared pieces: a test client of an app on a database, and one on the example
flights and roadmap."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from web.app import create_app

# The moment the example database is looked at: two days after its newest flight.
EXAMPLE_NOW = "2013-03-10"


def make_client(database: str | Path, now: str = EXAMPLE_NOW) -> FlaskClient:
    """Return a test client of an app on a database (a URL, or a SQLite file), its clock stopped."""
    url = f"sqlite:///{database}" if isinstance(database, Path) else database
    return create_app({"DATABASE_URL": url, "NOW": now, "TESTING": True}).test_client()


@pytest.fixture(scope="session")
def client(example_db: str) -> FlaskClient:
    """One app on the example flights and roadmap, for every page test that only reads."""
    return make_client(example_db)
