"""Small blogs in each generator's real layout and dialect, indexed as a user would point the bot at them.

Each `tests/fixtures/blogs/<generator>/expected.json` says, for every Markdown file, whether it is a
post, a page or a draft, and for posts the title, date, category, slug and link.
"""

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.settings import load_settings
from bot.store.models import PostRow
from tests.markup import leaks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "blogs"
BLOGS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").exists())


def test_every_generator_has_a_fixture_blog():
    assert set(BLOGS) >= {"jekyll", "hexo", "hugo", "docusaurus", "mkdocs", "pelican", "mathblog"}


@pytest.mark.parametrize("blog", BLOGS)
async def test_blog_is_read_as_its_generator_means_it(blog, tmp_path, clock):
    spec = json.loads((FIXTURES / blog / "expected.json").read_text(encoding="utf-8"))
    settings = load_settings(
        posts_dir=FIXTURES / blog / spec["posts_dir"],
        database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        _env_file=None,
        **{key.lower(): value for key, value in spec["settings"].items()},
    )
    app = build_app(settings, clock)
    await app.prepare()
    try:
        report = await app.scan()
        async with app.sessions() as session:
            rows = {row.source_path: row for row in (await session.execute(select(PostRow))).scalars()}
    finally:
        await app.close()
    assert report.invalid == []
    skipped = dict(report.skipped)
    problems: list[str] = []
    for path, want in spec["files"].items():
        row = rows.get(path)
        if want["kind"] == "page":
            if row is not None or path not in skipped:
                problems.append(f"{path}: a page, indexed as a post")
            continue
        if row is None:
            problems.append(f"{path}: not indexed ({skipped.get(path)})")
            continue
        if want["kind"] == "draft":
            if not row.draft:
                problems.append(f"{path}: a draft, indexed as published")
            continue
        got = {
            "title": row.title,
            "date": row.published_at.isoformat(),
            "category": row.category,
            "slug": row.slug,
            "url": row.url,
        }
        expected = {key: want[key] for key in got}
        expected["date"] = datetime.fromisoformat(want["date"]).isoformat()
        for key, value in expected.items():
            if got[key] != value:
                problems.append(f"{path}: {key} {got[key]!r}, expected {value!r}")
        if row.draft:
            problems.append(f"{path}: a post, indexed as a draft")
        found = leaks(row.excerpt)
        if found:
            problems.append(f"{path}: excerpt shows {found}: {row.excerpt!r}")
    assert problems == []
    assert set(rows) <= set(spec["files"]), "every file is in the oracle"
