"""The real PostgreSQL (and later Redis) of the machine, for backend tests.

On a machine without them these tests skip with the reason; CI sets
NEWSARCHIVE_REQUIRE_SERVICES=1 so that a missing service fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("NEWSARCHIVE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRED = os.environ.get("NEWSARCHIVE_REQUIRE_SERVICES") == "1"


def unavailable(service: str, error: Exception) -> None:
    message = f"{service} is not reachable ({type(error).__name__}: {error}); set NEWSARCHIVE_TEST_PG_URL or start it"
    if REQUIRED:
        pytest.fail(f"NEWSARCHIVE_REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"newsarchive_test_{uuid.uuid4().hex[:12]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure here means "no usable server"
        unavailable("PostgreSQL", exc)
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
