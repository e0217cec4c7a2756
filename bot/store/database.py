"""Engine, sessions and migrations for SQLite (default) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.store.search_index import register_sqlite_functions

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseURLError(ValueError):
    """DATABASE_URL names a database this bot cannot use."""


def async_url(raw: str) -> URL:
    """Accept plain sqlite:/// and postgresql:// URLs and pick the async driver for them."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseURLError(f"DATABASE_URL is not a database URL: {_redact(raw)!r}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise DatabaseURLError(f"DATABASE_URL must be sqlite:/// or postgresql://, not {backend}://")


def _redact(raw: str) -> str:
    # Never echo a password back in an error message.
    head, sep, tail = raw.partition("@")
    return f"{head.split(':')[0]}://***@{tail}" if sep else raw


def create_engine(raw_url: str) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and foreign keys."""
    url = async_url(raw_url)
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (commands) run while the scanner or the sender writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    register_sqlite_functions(dbapi_connection)  # the search index's triggers call them


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session maker every layer above uses (no lazy loads after commit)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """Build Alembic's config in code so no alembic.ini has to sit in the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (run on every start; a no-op when up to date)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
