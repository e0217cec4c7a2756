"""The scan planner alone: identity rules decided from plain values, no database."""

from dataclasses import replace
from datetime import UTC, datetime

from bot.content.models import Post
from bot.index.plan import Mode, Seen, Stored, plan_scan, post_fields, view_hash
from bot.index.reader import Read
from bot.index.walk import FoundFile
from bot.store.states import PostState

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LOUD = Mode(NOW, quiet=False, silent=False)


def post(slug: str, path: str, digest: str = "h", title: str = "T") -> Post:
    return Post(
        slug, title, "C", (), datetime(2026, 11, 1, tzinfo=UTC), "E", "", None, "en", False, path, digest
    )


def read(path: str, parsed: Post | None = None, error: str | None = None, skipped: str | None = None) -> Read:
    return Read(FoundFile(path, "/x/" + path, 1, 1), "d", parsed, error, skipped)


def stored(post_id: int, p: Post, state: PostState = PostState.ACTIVE) -> Stored:
    return Stored(post_id, p.slug, p.source_path, p.content_hash, state, view_hash(p), 1, post_fields(p))


def test_a_new_file_is_a_new_post_announced_only_on_a_quiet_scan():
    plan = plan_scan([read("a.md", post("a", "a.md"))], [], {}, {}, LOUD)
    assert plan.new == ["a"] and plan.inserts[0][1] is None
    quiet = plan_scan([read("a.md", post("a", "a.md"))], [], {}, {}, Mode(NOW, quiet=True, silent=False))
    assert quiet.inserts[0][1] == NOW


def test_a_renamed_file_with_the_same_content_is_the_same_post():
    old = post("a", "a.md", digest="same")
    plan = plan_scan(
        [read("b.md", post("b", "b.md", digest="same"))],
        ["a.md"],
        {"a.md": Seen(1, None)},
        {1: stored(1, old)},
        LOUD,
    )
    assert plan.new == [] and plan.moved == [("a.md", "b.md")] and plan.renamed == [("a", 1)]
    assert plan.removed == [] and plan.files[0].post_id == 1


def test_a_second_file_with_a_taken_slug_is_refused_and_the_first_keeps_it():
    plan = plan_scan([read("a.md", post("x", "a.md")), read("b.md", post("x", "b.md"))], [], {}, {}, LOUD)
    assert plan.new == ["x"] and plan.files[1].error == "duplicate slug 'x': already used by a.md"


def test_a_removed_post_with_the_slug_comes_back_as_that_post():
    gone = stored(7, post("x", "old.md", digest="old"), PostState.REMOVED)
    plan = plan_scan([read("new.md", post("x", "new.md", digest="new"))], [], {}, {7: gone}, LOUD)
    assert plan.released == {} and [u.post_id for u in plan.updates] == [7] and plan.new == []


def test_a_removed_post_gives_its_slug_up_when_the_file_is_another_removed_post():
    # The content matches post 8 (renamed back), whose new slug is still held by removed post 7.
    holder = stored(7, post("x", "old.md", digest="old"), PostState.REMOVED)
    renamed = stored(8, post("y", "y.md", digest="new"), PostState.REMOVED)
    plan = plan_scan(
        [read("new.md", post("x", "new.md", digest="new"))], [], {}, {7: holder, 8: renamed}, LOUD
    )
    assert plan.released == {7: "x~removed-7"} and [u.post_id for u in plan.updates] == [8]


def test_a_broken_edit_keeps_the_last_good_version_and_a_page_withdraws_its_post():
    good = stored(1, post("a", "a.md"))
    page = stored(2, post("b", "b.md"))
    plan = plan_scan(
        [read("a.md", error="bad date"), read("b.md", skipped="not a post: layout: page")],
        ["a.md"],  # even if reported gone by a racing walk, the broken file claims its post
        {"a.md": Seen(1, None), "b.md": Seen(2, None)},
        {1: good, 2: page},
        LOUD,
    )
    assert plan.removed == [2] and plan.removed_slugs == ["b"]
    assert plan.files[0].error == "bad date" and plan.files[1].error == "skipped: not a post: layout: page"


def test_an_edit_bumps_the_version_unless_it_is_a_rederivation():
    before = stored(1, post("a", "a.md"))
    edited = [read("a.md", post("a", "a.md", title="New title"))]
    loud = plan_scan(edited, [], {"a.md": Seen(1, None)}, {1: before}, LOUD)
    assert loud.changed == ["a"] and loud.updates[0].version == 2
    again = stored(1, post("a", "a.md"))
    silent = plan_scan(edited, [], {"a.md": Seen(1, None)}, {1: again}, Mode(NOW, quiet=True, silent=True))
    assert silent.changed == ["a"] and silent.updates[0].version == 1


def test_an_unchanged_reparse_changes_nothing():
    before = stored(1, post("a", "a.md"))
    plan = plan_scan([read("a.md", post("a", "a.md"))], [], {"a.md": Seen(1, None)}, {1: before}, LOUD)
    assert plan.updates == [] and plan.changed == [] and plan.files[0].post_id == 1


def test_a_body_edit_bumps_the_version_so_sent_messages_are_edited():
    before = replace(post("a", "a.md"), body="旧正文", search_text="旧正文")
    after = replace(before, content_hash="h2", body="新正文", search_text="新正文")
    plan = plan_scan([read("a.md", after)], [], {"a.md": Seen(1, None)}, {1: stored(1, before)}, LOUD)
    assert [(u.post_id, u.version) for u in plan.updates] == [(1, 2)]
    silent = Mode(NOW, quiet=True, silent=True)
    plan = plan_scan([read("a.md", after)], [], {"a.md": Seen(1, None)}, {1: stored(1, before)}, silent)
    assert [(u.post_id, u.version) for u in plan.updates] == [(1, 1)]
