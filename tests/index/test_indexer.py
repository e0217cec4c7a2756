import os
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from bot.index.indexer import Indexer
from bot.store.models import PostRow, SlugHistory


async def rows(app):
    async with app.sessions() as session:
        return {row.slug: row for row in (await session.execute(select(PostRow))).scalars()}


async def test_first_scan_indexes_everything_and_reports_counts(app, write_post):
    write_post("a.md", "A", slug="a")
    write_post("sub/dir/b.markdown", "B")
    write_post("notes.txt", "ignored")
    report = await app.scan()
    assert report.to_json() == {
        "indexed": 2,
        "new": 2,
        "changed": 0,
        "removed": 0,
        "skipped": 0,
        "rederived": False,
        "invalid": [],
    }
    stored = await rows(app)
    assert set(stored) == {"a", "b"}
    assert stored["b"].source_path == "sub/dir/b.markdown"


async def test_unchanged_rescan_parses_nothing(app, write_post):
    for i in range(5):
        write_post(f"p{i}.md", f"P{i}")
    await app.scan()
    again = await app.scan()
    assert again.parsed_files == 0
    assert again.to_json() == {
        "indexed": 5,
        "new": 0,
        "changed": 0,
        "removed": 0,
        "skipped": 0,
        "rederived": False,
        "invalid": [],
    }


async def test_touched_file_is_hashed_not_parsed(app, write_post):
    path = write_post("a.md", "A")
    await app.scan()
    os.utime(path, ns=(1, 1))
    report = await app.scan()
    assert report.parsed_files == 0
    assert report.changed == []


async def test_edit_changes_the_post_and_bumps_version(app, write_post):
    write_post("a.md", "Old title", slug="a")
    await app.scan()
    write_post("a.md", "New title", slug="a", body="更长的正文。")
    report = await app.scan()
    assert report.changed == ["a"]
    row = (await rows(app))["a"]
    assert row.title == "New title"
    assert row.version == 2


async def test_rename_without_change_is_the_same_post(app, posts_dir, write_post):
    write_post("old-name.md", "Same", slug="same")
    await app.scan()
    before = (await rows(app))["same"]
    (posts_dir / "moved").mkdir()
    (posts_dir / "old-name.md").rename(posts_dir / "moved" / "new-name.md")
    report = await app.scan()
    assert report.new == [] and report.removed == []
    assert report.moved == [("old-name.md", "moved/new-name.md")]
    after = (await rows(app))["same"]
    assert after.id == before.id and after.source_path == "moved/new-name.md"


async def test_renamed_file_whose_slug_comes_from_its_name_records_the_old_slug(app, posts_dir, write_post):
    write_post("first-slug.md", "T")
    await app.scan()
    (posts_dir / "first-slug.md").rename(posts_dir / "second-slug.md")
    report = await app.scan()
    assert report.new == []
    stored = await rows(app)
    assert set(stored) == {"second-slug"}
    async with app.sessions() as session:
        history = (await session.execute(select(SlugHistory))).scalars().all()
    assert [(h.slug, h.post_id) for h in history] == [("first-slug", stored["second-slug"].id)]
    assert (await app.commands.post("first-slug", "en")).slug == "second-slug"


async def test_deleted_file_marks_post_removed_and_restoring_revives_it(app, posts_dir, write_post):
    path = write_post("a.md", "A", slug="a")
    await app.scan()
    text = path.read_text()
    path.unlink()
    report = await app.scan()
    assert report.removed == ["a"] and report.indexed == 0
    (posts_dir / "restored.md").write_text(text)
    report = await app.scan()
    assert report.new == [] and report.indexed == 1
    assert (await rows(app))["a"].state == "active"


async def test_broken_files_are_reported_and_the_rest_indexed(app, posts_dir, write_post):
    write_post("good.md", "Good")
    (posts_dir / "bad-yaml.md").write_text("---\ntitle: [x\n---\n")
    (posts_dir / "unclosed.md").write_text("---\ntitle: x\n")
    (posts_dir / "latin1.md").write_bytes("---\ndate: 2026-01-01\n---\ncafé".encode("latin-1"))
    (posts_dir / "binary.md").write_bytes(b"\x00\x01\x02")
    (posts_dir / "bad-date.md").write_text("---\ndate: someday\n---\nx")
    report = await app.scan()
    assert report.indexed == 1
    reasons = dict(report.invalid)
    assert set(reasons) == {"bad-yaml.md", "unclosed.md", "latin1.md", "binary.md", "bad-date.md"}
    assert "bad YAML" in reasons["bad-yaml.md"]
    assert "not closed" in reasons["unclosed.md"]
    assert "UTF-8" in reasons["latin1.md"]
    assert "binary" in reasons["binary.md"]
    assert "bad date" in reasons["bad-date.md"]
    # Still reported on the next scan, without parsing again.
    again = await app.scan()
    assert dict(again.invalid) == reasons and again.parsed_files == 0


async def test_oversized_file_is_refused(app, posts_dir):
    small = Indexer(app.sessions, posts_dir, replace(app.indexer.defaults, max_bytes=2000), app.clock)
    (posts_dir / "huge.md").write_text("---\ndate: 2026-01-01\n---\n" + "x" * 5000)
    try:
        report = await small.scan()
    finally:
        small.close()
    assert "over the 2000-byte limit" in dict(report.invalid)["huge.md"]


async def test_duplicate_slug_keeps_the_first_and_reports_the_second(app, write_post):
    write_post("a.md", "A", slug="same")
    await app.scan()
    write_post("b.md", "B", slug="same")
    report = await app.scan()
    assert dict(report.invalid) == {"b.md": "duplicate slug 'same': already used by a.md"}
    assert (await rows(app))["same"].title == "A"
    # Once the first file gives the slug up, the second gets it on the next scan.
    write_post("a.md", "A", slug="other")
    await app.scan()
    report = await app.scan()
    assert report.invalid == []
    assert (await rows(app))["same"].title == "B"


async def test_broken_edit_keeps_the_last_good_version(app, posts_dir, write_post):
    write_post("a.md", "Good", slug="a")
    await app.scan()
    (posts_dir / "a.md").write_text("---\ntitle: [broken\n---\n")
    report = await app.scan()
    assert "bad YAML" in dict(report.invalid)["a.md"]
    assert report.removed == [] and report.indexed == 1
    assert (await rows(app))["a"].title == "Good"


async def test_symlink_outside_posts_is_refused_inside_is_followed(app, tmp_path, posts_dir, write_post):
    outside = tmp_path / "secret.md"
    outside.write_text("---\ndate: 2026-01-01\n---\nsecret")
    (posts_dir / "leak.md").symlink_to(outside)
    write_post("real/inside.md", "Inside", slug="inside")
    (posts_dir / "alias").symlink_to(posts_dir / "real")
    (posts_dir / "loop").symlink_to(posts_dir)
    report = await app.scan()
    assert dict(report.invalid) == {"leak.md": "symlink leads outside the posts folder"}
    assert report.indexed == 1


async def test_hidden_files_and_other_extensions_are_ignored(app, posts_dir, write_post):
    write_post(".draft.md", "Hidden")
    write_post(".git/x.md", "Hidden")
    write_post("readme.txt", "Text")
    assert (await app.scan()).indexed == 0


async def test_missing_posts_folder_is_reported(app, posts_dir):
    posts_dir.rmdir()
    report = await app.scan()
    assert report.invalid == [(str(posts_dir), "posts folder does not exist")]


async def test_first_scan_marks_existing_posts_announced_but_not_future_ones(app, write_post):
    write_post("old.md", "Old", date="2026-11-01", slug="old")
    write_post("future.md", "Future", date="2026-12-25", slug="future")
    await app.scan()
    stored = await rows(app)
    assert stored["old"].announced_at is not None
    assert stored["future"].announced_at is None
    write_post("new.md", "New", date="2026-11-22", slug="new")
    await app.scan()
    assert (await rows(app))["new"].announced_at is None


def test_paths_are_posix_relative(tmp_path: Path):
    from bot.index.walk import walk_posts

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.MD").write_text("x")
    assert [f.path for f in walk_posts(tmp_path).files] == ["a/b/c.MD"]


async def test_a_scan_from_another_process_does_not_confuse_the_running_indexer(app, posts_dir, write_post):
    write_post("a.md", "A", slug="a")
    write_post("b.md", "B", slug="b")
    await app.scan()
    # A second indexer over the same store stands for `python -m bot scan` run beside `run`.
    other = Indexer(app.sessions, posts_dir, app.indexer.defaults, app.clock)
    (posts_dir / "b.md").unlink()
    write_post("c.md", "C", slug="c")
    assert (await other.scan()).removed == ["b"]
    report = await app.scan()
    assert report.indexed == 2 and report.new == [] and report.invalid == []
    assert set(await rows(app)) == {"a", "b", "c"} and (await rows(app))["b"].state == "removed"
