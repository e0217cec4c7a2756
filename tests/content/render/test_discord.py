"""Example-based tests pinning the Discord renderer's output."""

from __future__ import annotations

from typing import Any

import pytest

from bot.content.models import CategoryCount, CategoryList, LatestPage, Notice, SearchResults
from bot.content.render import discord
from tests.content.render.samples import IMAGE, URL, item, page

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
