"""Shared fixtures: a temporary posts folder, a fake clock, an app on a temporary SQLite file."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import FakeClock
from bot.settings import load_settings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


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


@pytest.fixture
async def app(tmp_path: Path, posts_dir: Path, clock: FakeClock) -> AsyncIterator[App]:
    settings = load_settings(
        posts_dir=posts_dir,
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        site_url="https://blog.example.org/posts",
        _env_file=None,
    )
    built = build_app(settings, clock)
    await built.prepare()
    yield built
    await built.close()
