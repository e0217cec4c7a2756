"""Example-based tests pinning the console (plain text) renderer's output."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.content.models import CategoryCount, CategoryList, LatestPage, Notice, SearchResults
from bot.content.render import text
from tests.content.render.samples import URL, item

RULE = "─" * 48


def test_transmission_card() -> None:
    assert text.render_transmission(item()) == "\n".join(
        ["╔═ 📡 INCOMING TRANSMISSION ═╗", "你好，世界", "随笔 · 2026-11-20", "第一段。", f"阅读全文 → {URL}"]
    )


def test_transmission_cleans_title_and_category_and_uses_the_zone() -> None:
    messy = item(title="  a\n\tb\x00  ", category="x\r\ny", url="", lang="en")
    out = text.render_transmission(messy, ZoneInfo("Pacific/Kiritimati"))

    assert out.splitlines() == [
        "╔═ 📡 INCOMING TRANSMISSION ═╗",
        "a b",
        "x y · 2026-11-20",
        "第一段。",
        "Read it here: /post hello",  # no link: the command that opens it in the chat
    ]


def test_page_two_marks_the_current_page_and_continues_numbering() -> None:
    items = tuple(item(title=f"Post {i}") for i in range(5))
    out = text.render_page(LatestPage(items, 2, 3, 12, "en", per_page=5))

    lines = out.splitlines()
    assert lines[:3] == ["📡 INCOMING TRANSMISSION", "LATEST UPDATES", RULE]
    assert lines[3] == "6. Post 0"
    numbered = [line.split(" ", 1)[0] for line in lines if line[:1].isdigit()]
    assert numbered == ["6.", "7.", "8.", "9.", "10."]
    assert lines[-3:] == [RULE, "Page 2/3 · 12 posts", "◀ 1 [2] 3 ▶   /latest N"]


def test_page_items_show_category_date_excerpt_url_and_the_command_that_opens_them() -> None:
    out = text.render_page(LatestPage((item(),), 1, 1, 1))

    assert "1. 你好，世界\n   随笔 · 2026-11-20\n   第一段。\n   " + URL + "\n   /post hello\n" in out


def test_every_listed_post_shows_its_slug_with_or_without_a_link() -> None:
    items = (item(slug="flow-matching"), item(slug="no-link", url=""))
    out = text.render_page(LatestPage(items, 1, 1, 2))

    assert "\n   /post flow-matching\n" in out and "\n   /post no-link\n" in out


def test_single_page_has_no_page_links() -> None:
    out = text.render_page(LatestPage((item(),), 1, 1, 1))

    assert out.endswith(f"{RULE}\n第 1/1 页 · 共 1 篇")
    assert "◀" not in out


def test_digest_page_shows_how_many_more_instead_of_page_links() -> None:
    out = text.render_page(LatestPage((item(),), 1, 4, 20, heading="今日文摘", more=19))

    assert out.splitlines()[1] == "今日文摘"
    assert out.endswith(f"{RULE}\n……还有 19 篇，发送 /latest 查看")


def test_empty_page() -> None:
    out = text.render_page(LatestPage((), 1, 1, 0, "en"))

    assert out == f"📡 INCOMING TRANSMISSION\nLATEST UPDATES\n{RULE}\nNo posts have been published yet."


def test_search_results_are_numbered_from_one_and_say_when_capped() -> None:
    out = text.render_view(SearchResults("a\nb", (item(), item(title="Two")), total=9, lang="en"))

    assert out.startswith("Search “a b”: 9 results\n\n1. 你好，世界\n")
    assert "\n\n2. Two\n" in out
    assert out.endswith("\n\nShowing the first 2.")


def test_search_with_nothing_found() -> None:
    assert text.render_view(SearchResults("zzz", (), 0, "en")) == "Nothing found for “zzz”."


def test_categories() -> None:
    view = CategoryList((CategoryCount("随笔", 3), CategoryCount("C\n++", 1)))

    assert text.render_view(view) == "分类\n  随笔 — 3 篇\n  C ++ — 1 篇"
    assert text.render_view(CategoryList((), "en")) == "No categories yet."


def test_notice_with_lines_drops_control_characters() -> None:
    view = Notice("Commands\x07", "en", lines=("/latest [page] — Latest", "\x1b[31mred"))

    assert text.render_view(view) == "Commands\n/latest [page] — Latest\n[31mred"


def test_render_view_dispatches_transmissions_and_pages() -> None:
    page = LatestPage((item(),), 1, 1, 1)

    assert text.render_view(item()) == text.render_transmission(item())
    assert text.render_view(page) == text.render_page(page)


def test_search_pages_number_across_pages_show_snippets_and_say_which_page() -> None:
    view = SearchResults(
        "扩散", (item(title="A"), item(title="B", slug="b")), 12, "en", page=2, pages=3, per_page=5,
        snippets=("…前向扩散过程…", ""),
    )  # fmt: skip
    out = text.render_view(view)

    assert out.startswith("Search “扩散”: 12 results\n\n6. A\n")
    assert "6. A\n   随笔 · 2026-11-20\n   …前向扩散过程…\n" in out
    assert "7. B\n   随笔 · 2026-11-20\n   第一段。\n" in out  # no snippet: the excerpt
    assert "   /post b\n" in out
    assert out.endswith("\n\nPage 2/3 · 12 posts")
