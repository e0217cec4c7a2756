import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store.database import async_url, create_engine, upgrade
from bot.store.models import SEARCH_OBJECTS, Base, include_name
from tests.conftest import fresh_postgres_database


async def test_migrations_build_exactly_the_models(database_url):
    """On an empty SQLite file and an empty PostgreSQL database alike (see conftest)."""
    engine = create_engine(database_url)
    await upgrade(engine)
    await upgrade(engine)  # a second run is a no-op
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True, "include_name": include_name}),
                Base.metadata,
            )
        )
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        indexes = await connection.run_sync(
            lambda sync: {i["name"] for i in inspect(sync).get_indexes("posts")}
        )
    await engine.dispose()
    assert diff == []
    # The search index is the migrations' own: FTS5 on SQLite, GIN and a partial index on PostgreSQL.
    search = (tables | indexes) & SEARCH_OBJECTS
    fts = {
        f"posts_search{title}{part}" for title in ("", "_title") for part in ("", "_data", "_idx", "_config")
    }
    gin = {"ix_posts_search_lexemes", "ix_posts_search_pending", "ix_posts_title_lexemes"}
    assert search in (fts, gin)
    assert tables >= {
        "posts",
        "destinations",
        "deliveries",
        "files_seen",
        "slug_history",
        "meta",
        "alembic_version",
    }


def test_plain_urls_get_async_drivers():
    assert async_url("sqlite:///data/bot.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u:p@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u:p@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+psycopg://u:p@h/db").drivername == "postgresql+asyncpg"


async def test_sqlite_folder_is_created(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'deep' / 'er' / 'bot.db'}")
    await upgrade(engine)
    await engine.dispose()
    assert (tmp_path / "deep" / "er" / "bot.db").exists()


@pytest.mark.postgres
async def test_postgres_compresses_post_text_with_lz4(postgres_server):
    """Migration 0008: what a long CJK word's search reads back is lz4, as the benchmark measures."""
    engine = create_engine(await fresh_postgres_database(postgres_server))
    await upgrade(engine)
    async with engine.connect() as connection:
        has_lz4 = await connection.scalar(
            text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        )
        methods = await connection.execute(
            text(
                "SELECT attname, attcompression::text FROM pg_attribute WHERE attrelid = 'posts'::regclass "
                "AND attname IN ('body', 'search_text', 'search_lexemes', 'title')"
            )
        )
        found = {str(name): str(method) for name, method in methods}
    await engine.dispose()
    assert has_lz4  # Debian's PostgreSQL has it; without it the migration rightly does nothing
    assert found == {"body": "l", "search_text": "l", "search_lexemes": "l", "title": ""}
