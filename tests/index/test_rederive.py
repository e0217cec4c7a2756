"""Settings chosen after the first index reach stored posts; refused files cost nothing on a rescan."""

import os

from sqlalchemy import func, select

from bot.app import build_app, ensure_console_destination
from bot.settings import load_settings
from bot.store.models import Delivery, Destination, PostRow
from tests.index.test_indexer import rows


async def _app_with(app, clock, **settings):
    changed = load_settings(
        posts_dir=app.settings.posts_dir, database_url=app.settings.database_url, _env_file=None, **settings
    )
    built = build_app(changed, clock)
    await built.prepare()
    return built


async def _count(app, model):
    async with app.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_changed_settings_rederive_every_post_in_place_and_send_nothing(app, write_post, clock):
    write_post("a.md", "A", date="2026-11-20 23:30", body="正文。" * 200)
    await ensure_console_destination(app)
    await app.scan()
    before = (await rows(app))["a"]
    assert before.url == "https://blog.example.org/posts/a"
    await app.close()

    later = await _app_with(
        app, clock, site_url="https://new.example.org", permalink="/:year/:month/:slug/",
        excerpt_chars=100, timezone="Asia/Shanghai",
    )  # fmt: skip
    try:
        report = await later.scan()
        await later.announce()
        after = (await rows(later))["a"]
        assert report.rederived and report.changed == ["a"] and report.new == []
        assert after.id == before.id and after.version == before.version
        assert after.url == "https://new.example.org/2026/11/a/"
        assert len(after.excerpt) == 100
        assert after.published_at.isoformat() == "2026-11-20T15:30:00+00:00"  # 23:30 in Shanghai
        assert await _count(later, Delivery) == 0
        assert await _count(later, Destination) == 1  # subscriptions kept
        assert not (await later.scan()).rederived  # once, not on every start
    finally:
        await later.close()


async def test_reindex_by_hand_parses_every_file_again(app, write_post):
    write_post("a.md", "A")
    write_post("b.md", "B")
    await app.scan()
    assert (await app.scan()).parsed_files == 0
    report = await app.scan(rederive=True)
    assert report.parsed_files == 2 and report.rederived and report.changed == []


async def test_refused_files_are_not_parsed_again_and_are_news_only_once(app, posts_dir, write_post):
    write_post("a-good.md", "Good", slug="same")
    write_post("b-dup.md", "Dup", slug="same")
    (posts_dir / "bad.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    first = await app.scan()
    assert [p for p, _ in first.newly_invalid] == ["b-dup.md", "bad.md"]
    again = await app.scan()
    assert again.parsed_files == 0 and again.newly_invalid == [] and len(again.invalid) == 2
    (posts_dir / "bad.md").write_text("---\ntitle: fixed\ndate: 2026-11-01\n---\nok\n", encoding="utf-8")
    fixed = await app.scan()
    assert fixed.fixed == ["bad.md"] and fixed.newly_invalid == []
    assert [p for p, _ in fixed.invalid] == ["b-dup.md"]


async def test_a_duplicate_gets_its_slug_when_the_first_file_goes(app, posts_dir, write_post):
    write_post("a.md", "A", slug="same")
    write_post("b.md", "B", slug="same")
    await app.scan()
    os.remove(posts_dir / "a.md")
    report = await app.scan()
    assert report.invalid == [] and (await rows(app))["same"].source_path == "b.md"


async def test_page_bundles_take_their_folder_names(app, write_post):
    for name in ("first-trip", "second-trip", "2024-05-06-third"):
        write_post(f"post/{name}/index.md", name.title())
    write_post("post/_index.md", "Posts")
    write_post("about.md", "About")
    report = await app.scan()
    assert sorted(report.new) == ["first-trip", "second-trip", "third"]
    assert sorted(p for p, _ in report.skipped) == ["about.md", "post/_index.md"]
    assert report.invalid == []


async def test_a_post_that_becomes_a_page_is_withdrawn(app, write_post):
    write_post("posts/x.md", "X")
    await app.scan()
    write_post("posts/x.md", "X", layout="page")
    report = await app.scan()
    assert report.removed == ["x"] and (await rows(app))["x"].state == "removed"
    assert await _count(app, PostRow) == 1
