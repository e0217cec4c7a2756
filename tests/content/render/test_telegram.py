"""Example-based tests pinning the Telegram renderer's output."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.content.models import CategoryCount, CategoryList, LatestPage, Notice, SearchResults, Transmission
from bot.content.render import telegram
from tests.content.render.samples import IMAGE, URL, item, page
from tests.fakes.telegram_html import check_callback_data, check_caption, check_message_text

# --- transmissions ---------------------------------------------------------------------------------------


def test_transmission_with_a_cover_is_a_photo_whose_caption_fits() -> None:
    long_excerpt = "很长的摘要。" * 400
    call = telegram.render_transmission(item(image=IMAGE, excerpt=long_excerpt)).to_api()

    assert call["method"] == "sendPhoto"
    assert call["photo"] == IMAGE
    assert "text" not in call and "link_preview_options" not in call
    visible = check_caption(call["caption"]).text
    assert len(visible) <= 1024
    excerpt = visible.split("\n\n")[1]
    assert excerpt.endswith("…")
    assert len(excerpt) < 1000
    assert long_excerpt.startswith(excerpt[:-1])
    assert visible.endswith("阅读全文 →")  # the read-more link survives the cut


def test_short_excerpt_is_kept_whole_in_a_caption() -> None:
    call = telegram.render_transmission(item(image=IMAGE)).to_api()

    assert "\n\n第一段。\n\n" in check_caption(call["caption"]).text


def test_transmission_without_cover_is_a_message_with_a_preview_of_the_post() -> None:
    call = telegram.render_transmission(item()).to_api()

    assert call["method"] == "sendMessage"
    assert "photo" not in call
    assert call["link_preview_options"] == {"url": URL, "prefer_small_media": True}
    parsed = check_message_text(call["text"])
    assert parsed.text == "📡 INCOMING TRANSMISSION\n你好，世界\n随笔 · 2026-11-20\n\n第一段。\n\n阅读全文 →"
    assert parsed.entities == [  # offsets in UTF-16 units: 📡 counts two
        ("bold", 3, 21),
        ("bold", 25, 5),
        ("text_link", 25, 5),
        ("italic", 31, 2),
        ("text_link", 54, 6),
    ]


def test_html_in_a_title_is_escaped() -> None:
    call = telegram.render_transmission(item(title="<script>&alert('x')</script>")).to_api()

    assert "&lt;script&gt;&amp;alert('x')&lt;/script&gt;" in call["text"]
    assert "<script>" not in call["text"]
    assert "<script>&alert('x')</script>" in check_message_text(call["text"]).text


def test_date_is_shown_in_the_readers_zone() -> None:
    from zoneinfo import ZoneInfo

    late = item(published_at=datetime(2026, 11, 20, 20, 0, tzinfo=UTC))
    call = telegram.render_transmission(late, ZoneInfo("Asia/Shanghai")).to_api()

    assert "2026-11-21" in call["text"]


@pytest.mark.parametrize(
    "bad",
    ["javascript:alert(1)", "ftp://example.com/", "https://", "https:///path", "https://?q=1",
     "https://[::1", "https://:80/", "https://exa\u200bmple.com/", "https://example.com/a b",
     "https://example.com/" + "a" * 600],
)  # fmt: skip
def test_a_url_no_platform_takes_gives_no_link_and_no_preview(bad: str) -> None:
    call = telegram.render_transmission(item(url=bad, image=bad)).to_api()

    assert call["method"] == "sendMessage"
    assert "<a " not in call["text"]
    assert call["link_preview_options"] == {"is_disabled": True}
    check_message_text(call["text"])


def test_cjk_host_and_path_are_links() -> None:
    url = "https://例子.中国/文章/你好?q=1&x=2"
    call = telegram.render_transmission(item(url=url)).to_api()

    assert 'href="https://例子.中国/文章/你好?q=1&amp;x=2"' in call["text"]
    check_message_text(call["text"])


# --- pages -----------------------------------------------------------------------------------------------


def test_single_page_has_no_buttons() -> None:
    assert telegram.page_buttons(1, 1) == ()
    call = telegram.render_page(page(1, 1)).to_api()

    assert "reply_markup" not in call
    assert call["link_preview_options"] == {"is_disabled": True}


def test_page_two_of_four_buttons() -> None:
    assert telegram.page_buttons(2, 4) == (
        ("◀", "latest:1"),
        ("1", "latest:1"),
        ("· 2 ·", "latest:2"),
        ("3", "latest:3"),
        ("4", "latest:4"),
        ("▶", "latest:3"),
    )


def test_page_seven_of_twenty_shows_a_window_of_five() -> None:
    row = telegram.page_buttons(7, 20)

    assert [label for label, _ in row] == ["◀", "5", "6", "· 7 ·", "8", "9", "▶"]
    assert [data for _, data in row] == [f"latest:{n}" for n in (6, 5, 6, 7, 8, 9, 8)]


@pytest.mark.parametrize(
    ("number", "pages", "labels"),
    [
        (1, 20, ["· 1 ·", "2", "3", "4", "5", "▶"]),
        (20, 20, ["◀", "16", "17", "18", "19", "· 20 ·"]),
        (999_999, 999_999, ["◀", "999995", "999996", "999997", "999998", "· 999999 ·"]),
    ],
)
def test_window_at_the_ends(number: int, pages: int, labels: list[str]) -> None:
    row = telegram.page_buttons(number, pages)

    assert [label for label, _ in row] == labels
    for _, data in row:
        check_callback_data(data)
        assert telegram.parse_page_callback(data) is not None


def test_page_message_carries_its_buttons() -> None:
    call = telegram.render_page(page(2, 4)).to_api()

    keyboard = call["reply_markup"]["inline_keyboard"]
    assert len(keyboard) == 1
    assert [button["callback_data"] for button in keyboard[0]] == [
        "latest:1", "latest:1", "latest:2", "latest:3", "latest:4", "latest:3",
    ]  # fmt: skip
    parsed = check_message_text(call["text"])
    assert "\n\n6. Post 0\n" in parsed.text
    assert parsed.text.endswith("第 2/4 页 · 共 20 篇")


def test_parse_page_callback() -> None:
    assert telegram.parse_page_callback("latest:3") == 3
    assert telegram.parse_page_callback("latest:999999") == 999_999
    for data in ["latest:abc", "latest:0", "other:1", "latest:99999999", "latest:", "latest", "latest:-1",
                 "latest:٣", "latest:３", "latest: 3", "latest:3:x", ""]:  # fmt: skip
        assert telegram.parse_page_callback(data) is None, data


def test_digest_page_shows_how_many_more_and_no_buttons() -> None:
    call = telegram.render_page(page(1, 3, more=7, heading="今日文摘")).to_api()

    assert "reply_markup" not in call
    parsed = check_message_text(call["text"])
    assert parsed.text.startswith("📡 INCOMING TRANSMISSION\n今日文摘\n\n1. Post 0")
    assert parsed.text.endswith("……还有 7 篇，发送 /latest 查看")


def test_page_of_huge_items_sheds_excerpts_and_links_to_fit() -> None:
    url = "https://example.com/?" + "&" * 480
    huge = tuple(item(title="标" * 5000, excerpt="字" * 20_000, url=url) for _ in range(10))
    call = telegram.render_page(LatestPage(huge, 1, 2, 10)).to_api()

    parsed = check_message_text(call["text"])
    for number in range(1, 11):
        assert f"{number}. " in parsed.text
    assert len(call["text"].encode()) <= 32768


def test_page_excerpts_are_cut_with_three_dots() -> None:
    one = LatestPage((item(excerpt="字" * 2000),), 1, 1, 1)
    parsed = check_message_text(telegram.render_page(one).to_api()["text"])

    assert "\n" + "字" * 347 + "...\n" in parsed.text


def test_empty_page_says_so() -> None:
    call = telegram.render_page(LatestPage((), 1, 1, 0, "en")).to_api()

    assert check_message_text(call["text"]).text.endswith("No posts have been published yet.")
    assert "reply_markup" not in call


# --- other replies ---------------------------------------------------------------------------------------


def test_search_results_are_numbered_from_one_under_the_query() -> None:
    view = SearchResults("<b>你好</b>", (item(), item(title="Two")), total=9, lang="en")
    call = telegram.render_view(view).to_api()

    parsed = check_message_text(call["text"])
    assert "Search “<b>你好</b>”: 9 results" in parsed.text
    assert "\n\n1. 你好，世界\n" in parsed.text and "\n\n2. Two\n" in parsed.text
    assert "reply_markup" not in call


def test_a_count_that_stopped_shows_a_plus_in_the_heading_and_the_footer() -> None:
    view = SearchResults(
        "模型", tuple(item() for _ in range(5)), 1000, "en", page=2, pages=200, at_least=True
    )
    parsed = check_message_text(telegram.render_view(view).to_api()["text"])

    assert "Search “模型”: 1000+ results" in parsed.text
    assert "Page 2/200 · 1000+ posts" in parsed.text


def test_many_long_categories_are_cut_to_fit_one_message() -> None:
    view = CategoryList(tuple(CategoryCount(f"{i:02d}" + "&" * 62, 10**9) for i in range(100)), "en")
    call = telegram.render_view(view).to_api()

    parsed = check_message_text(call["text"])
    assert parsed.text.startswith("Categories\n• 00" + "&" * 62 + " — 1000000000 posts")
    assert parsed.text.endswith("\n…")
    assert len(parsed.text) <= 4096


def test_few_categories_are_all_listed() -> None:
    view = CategoryList((CategoryCount("随笔", 3), CategoryCount("C++", 1)))

    text = check_message_text(telegram.render_view(view).to_api()["text"]).text
    assert text == "分类\n• 随笔 — 3 篇\n• C++ — 1 篇"


@pytest.mark.parametrize("blank", ["", " ", "\n\n", "\u3000", "\u200b", "\u2800", "\x00\x01"])
def test_blank_notice_still_sends_something(blank: str) -> None:
    call = telegram.render_view(Notice(blank, is_error=True)).to_api()

    assert check_message_text(call["text"]).text == "—"


def test_notice_with_lines() -> None:
    call = telegram.render_view(Notice("Commands", "en", lines=("/latest [page] — Latest", "<&>"))).to_api()

    assert call["text"] == "Commands\n/latest [page] — Latest\n&lt;&amp;&gt;"
    check_message_text(call["text"])


def test_an_edited_transmission_says_so_in_its_language() -> None:
    zh = check_message_text(telegram.render_transmission(item(edited=True)).html).text
    assert zh.splitlines()[2].endswith(" · 已更新")
    en = check_message_text(telegram.render_transmission(item(edited=True, lang="en")).html).text
    assert en.splitlines()[2].endswith(" · edited")
    plain = check_message_text(telegram.render_transmission(item()).html).text
    assert "已更新" not in plain
    long = item(image=IMAGE, excerpt="长" * 5000, edited=True)
    caption = check_caption(telegram.render_transmission(long).html)
    assert "已更新" in caption.text and len(caption.text) <= 1024


def test_a_post_without_a_link_offers_the_command_that_opens_it() -> None:
    post = Transmission("flow-matching", "T", "C", datetime(2026, 1, 1, tzinfo=UTC), "E", "", lang="en")
    message = telegram.render_transmission(post)
    assert message.html.endswith("Read it here: <code>/post flow-matching</code>")
    assert message.link_preview == {"is_disabled": True}
