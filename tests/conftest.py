"""Shared fixtures: a temporary posts folder, a fake clock, an app on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from bot.app import App, build_app
from bot.clock import FakeClock
from bot.settings import load_settings
from tests.postgres import INSTALL_HINT, bin_dir, running_server

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Fixtures that put a test in a tier (pyproject's markers): a test using one gets the tier's marker
# even if its author forgot it, so `-m "not postgres"` and `make test-fast` never start what they leave out.
TIER_FIXTURES = {"postgres_server": "postgres", "spawned": "process"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in TIER_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()) and item.get_closest_marker(marker) is None:
                item.add_marker(marker)


def post_text(title: str, date: str = "2026-11-20", body: str = "正文内容。", **meta: str) -> str:
    """Build a post file's text with front matter."""
    lines = ["---", f"title: {title}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in meta.items()]
    lines += ["---", "", textwrap.dedent(body).strip(), ""]
    return "\n".join(lines)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def posts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    return folder


@pytest.fixture
def write_post(posts_dir: Path) -> Callable[..., Path]:
    def write(
        name: str, title: str = "标题", date: str = "2026-11-20", body: str = "正文内容。", **meta: str
    ) -> Path:
        path = posts_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(post_text(title, date, body, **meta), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One PostgreSQL server for the whole run, started on first use; without one the tests fail."""
    if bin_dir() is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    with running_server() as url:
        yield url


async def fresh_postgres_database(server_url: str) -> str:
    """Create an empty database on the test server; return its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(f"{server_url}/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{server_url}/{name}"


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    """SQLite by default; storage and engine test folders also run on PostgreSQL (see their conftest)."""
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
async def app(database_url: str, posts_dir: Path, clock: FakeClock) -> AsyncIterator[App]:
    settings = load_settings(
        posts_dir=posts_dir,
        database_url=database_url,
        site_url="https://blog.example.org/posts",
        _env_file=None,
    )
    built = build_app(settings, clock)
    await built.prepare()
    yield built
    await built.close()


@pytest.fixture
async def spawned() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Processes a test starts; any still running at teardown is killed (a failed test leaks none)."""
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()
