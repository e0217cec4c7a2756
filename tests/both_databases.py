"""Fixture override that runs a test folder on SQLite and on PostgreSQL."""

from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test in the folder runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return await fresh_postgres_database(request.getfixturevalue("postgres_server"))
