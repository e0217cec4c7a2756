"""Sample views shared by the renderer tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.content.models import LatestPage, Transmission

URL = "https://blog.example.org/posts/hello"
IMAGE = "https://blog.example.org/img/cover.png"


def item(**changes: Any) -> Transmission:
    """A Chinese post with a link and no cover, with `changes` applied."""
    values: dict[str, Any] = {
        "slug": "hello",
        "title": "你好，世界",
        "category": "随笔",
        "published_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "excerpt": "第一段。",
        "url": URL,
        "image": None,
        "lang": "zh",
    }
    values.update(changes)
    return Transmission(**values)


def page(number: int, pages: int, count: int = 5, **changes: Any) -> LatestPage:
    """Page `number` of `pages`, holding `count` sample posts."""
    items = tuple(item(slug=f"p{i}", title=f"Post {i}") for i in range(count))
    return LatestPage(items, number, pages, total=pages * 5, **changes)
