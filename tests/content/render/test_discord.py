"""Example-based tests pinning the Discord renderer's output."""

from __future__ import annotations

from typing import Any

import pytest

from bot.content.models import CategoryCount, CategoryList, LatestPage, Notice, SearchResults, Transmission
from bot.content.render import discord
from tests.content.render.samples import IMAGE, URL, item, page
from tests.fakes.discord_payloads import check_message

ZWSP = "\u200b"


def counted(embed: dict[str, Any]) -> int:
    fields = embed.get("fields", [])
    return (
        len(embed.get("title", ""))
        + len(embed.get("description", ""))
        + len(embed.get("footer", {}).get("text", ""))
        + len(embed.get("author", {}).get("name", ""))
        + sum(len(f["name"]) + len(f["value"]) for f in fields)
    )


# --- escaping --------------------------------------------------------------------------------------------


def test_markdown_is_escaped() -> None:
    assert discord.escape_markdown("**b** _i_ ~~s~~ `c` ||sp|| [x](y) # h - l > q \\") == (
        r"\*\*b\*\* \_i\_ \~\~s\~\~ \`c\` \|\|sp\|\| \[x\]\(y\) \# h \- l \> q \\"
    )


def test_mass_mentions_are_defused_with_a_zero_width_space() -> None:
    assert discord.escape_markdown("@everyone and @here") == f"@{ZWSP}everyone and @{ZWSP}here"
    assert discord.escape_markdown("<@123> <@&456>") == r"\<@123\> \<@&456\>"


def test_transmission_embed() -> None:
    body = discord.render_transmission(item(image=IMAGE, excerpt="**hi** @everyone")).to_api()

    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "components" not in body
    (embed,) = body["embeds"]
    assert embed["title"] == "你好，世界"
    assert embed["url"] == URL
    assert embed["description"] == rf"\*\*hi\*\* @{ZWSP}everyone"
    assert embed["footer"] == {"text": "随笔 · 2026-11-20"}
    assert embed["author"] == {"name": "📡 INCOMING TRANSMISSION"}
    assert embed["timestamp"] == "2026-11-20T09:30:00+00:00"
    assert embed["image"] == {"url": IMAGE}
    assert embed["color"] == 0x00E5FF


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "https://", "https:///x", "https://[::1", "https://a\u200bb.com/", ""]
)
def test_urls_no_platform_takes_are_dropped(bad: str) -> None:
    (embed,) = discord.render_transmission(item(url=bad, image=bad)).to_api()["embeds"]

    assert "url" not in embed
    assert "image" not in embed


def test_huge_transmission_fits_the_embed_limits() -> None:
    huge = item(title="*" * 5000, category="_" * 5000, excerpt="@everyone " * 2000)
    (embed,) = discord.render_transmission(huge).to_api()["embeds"]

    assert len(embed["title"]) <= 256
    assert len(embed["description"]) <= 4096
    assert embed["description"].endswith("…")
    assert "@everyone" not in embed["description"]
    assert counted(embed) <= 6000


# --- pages -----------------------------------------------------------------------------------------------


def test_single_page_has_no_buttons() -> None:
    assert discord.page_buttons(1, 1) == ()
    assert "components" not in discord.render_page(page(1, 1)).to_api()


def test_page_two_of_four_buttons_have_unique_custom_ids() -> None:
    row = discord.page_buttons(2, 4)

    assert row == (
        ("◀", "latest:1:prev", False),
        ("1", "latest:1", False),
        ("2", "latest:2", True),
        ("3", "latest:3", False),
        ("▶", "latest:3:next", False),
    )


@pytest.mark.parametrize(("number", "pages"), [(1, 2), (2, 2), (2, 3), (7, 20), (20, 20), (999_999, 999_999)])
def test_custom_ids_are_unique_and_a_row_holds_at_most_five(number: int, pages: int) -> None:
    body = discord.render_page(page(number, pages)).to_api()

    (row,) = body["components"]
    buttons = row["components"]
    assert row["type"] == 1 and 2 <= len(buttons) <= 5
    ids = [button["custom_id"] for button in buttons]
    assert len(ids) == len(set(ids))
    assert all(1 <= len(cid) <= 100 for cid in ids)
    current = [button for button in buttons if button["style"] == 1]
    assert [button["label"] for button in current] == [str(number)]


def test_page_seven_of_twenty_window() -> None:
    labels = [label for label, _, _ in discord.page_buttons(7, 20)]

    assert labels == ["◀", "6", "7", "8", "▶"]


def test_page_items_are_numbered_across_pages_and_escaped() -> None:
    view = LatestPage((item(title="a*b", category="c_d", excerpt="@here"),), 2, 4, 16, "en")
    (embed,) = discord.render_page(view).to_api()["embeds"]

    assert embed["title"] == "LATEST UPDATES"
    assert embed["description"] == rf"**6. [a\*b]({URL})**" + "\n" + r"*c\_d* · 2026-11-20" + f"\n@{ZWSP}here"
    assert embed["footer"] == {"text": "Page 2/4 · 16 posts"}


def test_digest_page_has_no_buttons() -> None:
    body = discord.render_page(page(1, 3, more=7)).to_api()

    assert "components" not in body
    assert body["embeds"][0]["footer"] == {"text": "……还有 7 篇，发送 /latest 查看"}


def test_page_of_huge_items_fits_and_keeps_every_number() -> None:
    huge = tuple(item(title="[" * 5000, category="*" * 500, excerpt="_" * 20_000) for _ in range(10))
    (embed,) = discord.render_page(LatestPage(huge, 1, 2, 10)).to_api()["embeds"]

    assert len(embed["description"]) <= 4096
    assert counted(embed) <= 6000
    for number in range(1, 11):
        assert f"**{number}. " in embed["description"]


# --- other replies ---------------------------------------------------------------------------------------


def test_search_results() -> None:
    body = discord.render_view(SearchResults("*q*", (item(),), total=3, lang="en")).to_api()

    (embed,) = body["embeds"]
    assert embed["title"] == "Search “*q*”: 3 results"
    assert embed["description"].startswith(f"**1. [你好，世界]({URL})**")
    assert "components" not in body


def test_many_escaped_categories_are_cut_to_the_description_limit() -> None:
    view = CategoryList(tuple(CategoryCount("*" * 64, 1) for _ in range(50)), "en")
    (embed,) = discord.render_view(view).to_api()["embeds"]

    assert embed["title"] == "Categories"
    assert embed["description"].startswith("• " + r"\*" * 64 + " — 1 posts\n")
    assert len(embed["description"]) == 4096
    assert embed["description"].endswith("…")


def test_long_escaped_notice_is_cut_to_the_description_limit() -> None:
    view = Notice("_" * 1000, lines=tuple("*" * 60 for _ in range(40)), is_error=True)
    (embed,) = discord.render_view(view).to_api()["embeds"]

    assert embed["title"] == "⚠️"
    assert len(embed["description"]) <= 4096
    assert counted(embed) <= 6000


@pytest.mark.parametrize("blank", ["", " ", "\n\t"])
def test_blank_notice_shows_a_dash(blank: str) -> None:
    (embed,) = discord.render_view(Notice(blank)).to_api()["embeds"]

    assert embed == {
        "title": "ℹ️",
        "color": 0x00E5FF,
        "author": {"name": "📡 INCOMING TRANSMISSION"},
        "description": "—",
    }


def test_an_edited_transmission_says_so_in_its_footer() -> None:
    [embed] = discord.render_transmission(item(edited=True)).embeds
    assert embed["footer"]["text"].endswith(" · 已更新")
    [plain] = discord.render_transmission(item()).embeds
    assert "已更新" not in plain["footer"]["text"]


# --- reading in chat: the Read button, the open menu, search pages ------------------------------------


def listed(count: int, first_id: int = 1, **changes: Any) -> tuple[Transmission, ...]:
    return tuple(item(slug=f"p{i}", title=f"Post {i}", post_id=first_id + i, **changes) for i in range(count))


def test_a_stored_post_has_a_read_button_that_carries_its_id() -> None:
    body = check_message(discord.render_transmission(item(post_id=42)).to_api(), strict_mentions=True)

    assert body["components"] == [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "📖 阅读全文", "custom_id": "read:42"}]}
    ]
    english = discord.render_transmission(item(post_id=42, lang="en")).to_api()
    assert english["components"][0]["components"][0]["label"] == "📖 Read"


def test_a_list_gets_a_menu_that_opens_its_posts_numbered_as_listed() -> None:
    view = LatestPage(listed(5, first_id=11), 2, 3, 15, "en")
    body = check_message(discord.render_page(view).to_api(), strict_mentions=True)

    menu_row, page_row = body["components"]
    (menu,) = menu_row["components"]
    assert (menu["type"], menu["custom_id"], menu["min_values"], menu["max_values"]) == (
        3,
        "open:latest:2",
        1,
        1,
    )
    assert menu["placeholder"] == "📄 Open a post from this list…"
    assert [(o["label"], o["value"]) for o in menu["options"]] == [
        ("6. Post 0", "11"), ("7. Post 1", "12"), ("8. Post 2", "13"), ("9. Post 3", "14"),
        ("10. Post 4", "15"),
    ]  # fmt: skip
    assert menu["options"][0]["description"] == "随笔 · 2026-11-20"
    assert page_row["components"][0]["custom_id"] == "latest:1:prev"


def test_the_menu_clamps_labels_skips_unstored_posts_and_opens_a_repeated_post_once() -> None:
    long = item(title="长" * 300, category="类" * 300, post_id=7)
    view = LatestPage((long, item(post_id=0), long), 1, 1, 3, per_page=5)
    menu = discord.render_page(view).menu
    assert menu is not None
    assert [(len(label), value) for label, value, _ in menu.options] == [(100, "7")]
    assert len(menu.options[0][2]) == 100 and menu.options[0][0].startswith("1. 长")
    assert discord.render_page(LatestPage((item(),), 1, 1, 1)).menu is None  # nothing stored, no menu


def test_a_digest_keeps_its_menu_but_has_no_page_buttons() -> None:
    body = discord.render_page(LatestPage(listed(3), 1, 4, 20, heading="今日", more=17)).to_api()

    (row,) = body["components"]
    assert row["components"][0]["type"] == 3


def test_search_pages_carry_the_query_and_show_snippets() -> None:
    view = SearchResults("扩散 模型", listed(2), 12, "en", page=2, pages=3, per_page=5,
                         snippets=("…the *diffusion* step…", ""))  # fmt: skip
    message = discord.render_view(view)
    body = check_message(message.to_api(), strict_mentions=True)

    assert [label for label, _, _ in message.buttons] == ["◀", "1", "2", "3", "▶"]
    assert [cid for _, cid, _ in message.buttons] == [
        "search:1p:扩散 模型", "search:1:扩散 模型", "search:2:扩散 模型", "search:3:扩散 模型",
        "search:3n:扩散 模型",
    ]  # fmt: skip
    assert body["components"][0]["components"][0]["custom_id"] == "open:search:2"
    (embed,) = body["embeds"]
    assert "**6. [Post 0]" in embed["description"] and "**7. [Post 1]" in embed["description"]
    assert r"…the \*diffusion\* step…" in embed["description"]
    assert "第一段。" in embed["description"]  # no snippet: the excerpt, as before
    assert embed["footer"] == {"text": "Page 2/3 · 12 posts"}


def test_a_count_that_stopped_shows_a_plus() -> None:
    view = SearchResults("模型", listed(5), 1000, "zh", page=1, pages=200, per_page=5, at_least=True)
    (embed,) = check_message(discord.render_view(view).to_api(), strict_mentions=True)["embeds"]
    assert embed["footer"] == {"text": "第 1/200 页 · 共 1000+ 篇"}


@pytest.mark.parametrize("query", ["q" * 92, "扩" * 200, "a:b " * 40])
def test_a_long_query_travels_as_a_short_key(query: str) -> None:
    view = SearchResults(query, listed(1), 9, page=1, pages=2)
    ids = [cid for _, cid, _ in discord.render_view(view).buttons]

    key = discord.search_key(query)
    assert ids == ["search:1:#" + key, "search:2:#" + key, "search:2n:#" + key]
    assert discord.search_custom_id("q" * 90, 2, "n") == "search:2n:" + "q" * 90  # exactly 100 fits
