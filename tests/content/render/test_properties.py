"""Property tests: whatever a post contains, every renderer's output is something its platform accepts.

Telegram output is judged by the independent HTML validator in ``tests.fakes.telegram_html``; Discord
output by limits counted here, deliberately not with the renderer's own ``embed_length``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.models import (
    CategoryCount,
    CategoryList,
    LatestPage,
    Notice,
    SearchResults,
    Transmission,
    View,
)
from bot.content.render import discord, telegram, text
from tests.fakes.telegram_html import (
    ParsedHTML,
    check_callback_data,
    check_caption,
    check_message_text,
)

PER_PAGE = 5
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies ------------------------------------------------------------------------------------------

ANY_CHAR = st.characters(blacklist_categories=("Cs",))  # lone surrogates cannot be encoded at all
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
EMOJI = st.sampled_from(
    [
        "\U0001f600",
        "👨\u200d👩\u200d👧\u200d👦",  # ZWJ family
        "🏳️\u200d🌈",
        "👍🏽",
        "🇨🇳",
        "\u200d",
        "\ufe0f",
        "\U0001faf6",
    ]
)
MARKUP = st.sampled_from(
    [
        "<", ">", "&", '"', "'", "<b>", "</b>", "</i>", "<i>", "<br>", "<a href=\"x\">", "</a>",
        "<script>", "&amp;", "&lt;", "&nbsp;", "&#0;", "&#x110000;", "**", "__", "*", "_", "~~",
        "||", "`", "```", "\\", "[x](y)", "[", "](", ")", "# ", "> ", "- ", "-# ", "@everyone",
        "@here", "@", "<@123>", "<@&456>", "<#789>", "<:emoji:1>", "<t:0>", "https://example.com",
        "javascript:alert(1)", "tg://user?id=1", ":", "/", "?", "=",
    ]
)  # fmt: skip
WHITESPACE = st.sampled_from(
    [" ", "\n", "\r\n", "\r", "\t", "\v", "\f", "\x85", "\xa0", "\u2028", "\u2029", "\u3000", "\u200b",
     "\u2800", "\u180e", "\u202e", "\ufeff", "\ufffc"]
)  # fmt: skip
CONTROL = st.characters(max_codepoint=0x1F) | st.sampled_from(["\x7f", "\x80", "\x9f"])
FRAGMENT = st.one_of(
    st.text(CJK, min_size=1, max_size=30),
    EMOJI,
    MARKUP,
    WHITESPACE,
    CONTROL,
    st.text(ANY_CHAR, min_size=1, max_size=30),
    st.text("abcdefghij ", min_size=1, max_size=30),
)
MIXED = st.lists(FRAGMENT, max_size=40).map("".join)
REPEATED = st.builds(
    lambda piece, size: (piece * size)[:size],
    st.one_of(FRAGMENT, st.sampled_from(["&", "<", "字", "\U0001f600", "*", "@everyone ", " ", "\n", "x"])),
    st.integers(10_000, 20_000),
)
BLANK = st.lists(WHITESPACE | CONTROL, min_size=1, max_size=8).map("".join)
# Characters Discord's escaping doubles, repeated so that escaping alone can overflow a limit.
ESCAPABLE = st.builds(
    lambda char, size: char * size, st.sampled_from("*_~`|<>[]()#-\\"), st.integers(20, 120)
)
TEXT = st.one_of(
    st.just(""),
    BLANK,
    MIXED,
    MIXED,
    ESCAPABLE,
    st.text(ANY_CHAR, max_size=20_000),
    REPEATED,
)
SHORT_TEXT = st.one_of(st.just(""), BLANK, MIXED, ESCAPABLE, st.text(ANY_CHAR, max_size=200))
LINE = st.one_of(BLANK, MIXED, ESCAPABLE, REPEATED)

# Hosts that look almost right: empty, only punctuation, invisible characters, IDNs, ports, brackets.
HOST_CHARS = st.sampled_from(
    [*"abcxyz019.-_:@[]?#%/\\", "例", "中", "\u200b", "\u2800", "\ufffc", "\u180e", "\u202e", "\xa0"]
)
HOSTS = st.one_of(
    st.sampled_from(["example.com", "blog.example.org", "例子.中国", "xn--fsqu00a.xn--fiqs8s",
                     "127.0.0.1:8080", "[::1]", "", "user:pw@host", ":80", "@", "?", "#", "[x"]),
    st.text(HOST_CHARS, max_size=12),
)  # fmt: skip
URL_TAIL = st.one_of(
    st.just(""), MIXED, st.text("abc/?&=#%;:@!$'()*+,~.-_", max_size=60), st.text(HOST_CHARS)
)
URL = st.one_of(
    st.builds(
        lambda scheme, host, tail: f"{scheme}://{host}{tail}",
        st.sampled_from(["https", "http", "HTTPS", "Http"]),
        HOSTS,
        st.one_of(st.just(""), URL_TAIL.map(lambda tail: "/" + tail)),
    ),
    st.builds(
        lambda scheme, host, tail: f"{scheme}://{host}/{tail}",
        st.sampled_from(["ftp", "javascript", "tg", "data", "mailto", "file"]),
        HOSTS,
        URL_TAIL,
    ),
    st.builds(lambda tail: f"https://{tail}", URL_TAIL),
    st.builds(lambda size: "https://example.com/" + "a" * size, st.integers(400, 700)),
    st.builds(lambda size: "https://example.com/?q=" + "&" * size, st.integers(1, 600)),
    SHORT_TEXT,
)
ZONES = st.sampled_from(
    [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/St_Johns"), timezone(timedelta(hours=-12)),
     timezone(timedelta(hours=14))]
)  # fmt: skip
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 12, 30),
    timezones=st.one_of(
        st.just(UTC),
        st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))),
        st.timezones(),
    ),
)
LANGS = st.sampled_from(["zh", "en"])

TRANSMISSIONS = st.builds(
    Transmission,
    slug=SHORT_TEXT,
    title=TEXT,
    category=TEXT,
    published_at=MOMENTS,
    excerpt=TEXT,
    url=URL,
    image=st.none() | URL,
    lang=LANGS,
)
# Cheaper items for lists of many: still every kind of nasty text, just rarely 20k characters.
LIST_TRANSMISSIONS = st.builds(
    Transmission,
    slug=st.just("slug"),
    title=LINE,
    category=LINE,
    published_at=MOMENTS,
    excerpt=LINE,
    url=URL,
    image=st.none() | URL,
    lang=LANGS,
)


def _copies(strategy: st.SearchStrategy[Any], low: int, high: int) -> st.SearchStrategy[list[Any]]:
    """Many copies of one drawn value: long lists of the same nasty item reach the limits quickly."""
    return st.builds(lambda value, size: [value] * size, strategy, st.integers(low, high))


@st.composite
def latest_pages(draw: st.DrawFn) -> LatestPage:
    """A consistent page: 1-10 items, page within pages, total matching pages for per_page=5."""
    items = tuple(
        draw(st.lists(LIST_TRANSMISSIONS, min_size=1, max_size=10) | _copies(LIST_TRANSMISSIONS, 1, 10))
    )
    pages = draw(st.one_of(st.integers(1, 25), st.integers(1, 999_999)))
    page = draw(st.integers(1, pages))
    low = max((pages - 1) * PER_PAGE + 1, (page - 1) * PER_PAGE + len(items))
    total = draw(st.integers(low, max(low, pages * PER_PAGE)))
    more = draw(st.one_of(st.just(0), st.integers(1, 10**6)))
    heading = draw(st.none() | SHORT_TEXT | REPEATED)
    return LatestPage(items, page, pages, total, draw(LANGS), PER_PAGE, more, heading)


@st.composite
def search_results(draw: st.DrawFn) -> SearchResults:
    items = tuple(draw(st.lists(LIST_TRANSMISSIONS, max_size=10) | _copies(LIST_TRANSMISSIONS, 0, 10)))
    total = draw(st.integers(len(items), len(items) + 10**6))
    return SearchResults(draw(TEXT), items, total, draw(LANGS))


CATEGORY_COUNTS = st.builds(CategoryCount, name=LINE, count=st.integers(0, 10**9))
CATEGORY_LISTS = st.builds(
    CategoryList,
    categories=(st.lists(CATEGORY_COUNTS, max_size=120) | _copies(CATEGORY_COUNTS, 30, 120)).map(tuple),
    lang=LANGS,
)
NOTICES = st.builds(
    Notice,
    text=TEXT,
    lang=LANGS,
    is_error=st.booleans(),
    lines=(st.lists(LINE, max_size=60) | _copies(LINE, 20, 60)).map(tuple),
)

# --- platform checks -------------------------------------------------------------------------------------

_HTTP = re.compile(r"https?://", re.IGNORECASE)


def _is_http(url: object) -> bool:
    return isinstance(url, str) and _HTTP.match(url) is not None


def assert_telegram_ok(message: telegram.TelegramMessage) -> ParsedHTML:
    """Check one Bot API call as Telegram's server would; return the parsed visible text."""
    call = message.to_api()
    assert call["parse_mode"] == "HTML"
    if call["method"] == "sendMessage":
        parsed = check_message_text(call["text"])
        preview = call["link_preview_options"]
        if preview.get("is_disabled"):
            assert preview == {"is_disabled": True}
        else:
            assert _is_http(preview["url"])
            assert set(preview) <= {"url", "prefer_small_media", "prefer_large_media", "show_above_text"}
            assert not (preview.get("prefer_small_media") and preview.get("prefer_large_media"))
        assert "photo" not in call and "caption" not in call
    else:
        assert call["method"] == "sendPhoto"
        assert _is_http(call["photo"])
        assert "text" not in call and "link_preview_options" not in call
        parsed = check_caption(call["caption"])
    keyboard = call.get("reply_markup", {}).get("inline_keyboard", [])
    for row in keyboard:
        assert 1 <= len(row) <= 8
        for button in row:
            assert button["text"].strip()
            check_callback_data(button["callback_data"])
    return parsed


def _walk_urls(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [value for key, value in node.items() if key == "url"]
        for value in node.values():
            found += _walk_urls(value)
        return found
    if isinstance(node, list):
        return [url for value in node for url in _walk_urls(value)]
    return []


def assert_discord_ok(message: discord.DiscordMessage) -> dict[str, Any]:
    """Check one create-message body against Discord's documented limits, counted independently."""
    body = message.to_api()
    assert body["allowed_mentions"]["parse"] == []
    assert not body["allowed_mentions"].get("replied_user", False)
    embeds = body["embeds"]
    assert 1 <= len(embeds) <= 10
    total = 0
    for embed in embeds:
        title = embed.get("title", "")
        description = embed.get("description", "")
        footer = embed.get("footer", {}).get("text", "")
        author = embed.get("author", {}).get("name", "")
        fields = embed.get("fields", [])
        assert len(title) <= 256
        assert len(description) <= 4096
        assert len(footer) <= 2048
        assert len(author) <= 256
        assert len(fields) <= 25
        for item in fields:
            assert len(item["name"]) <= 256
            assert len(item["value"]) <= 1024
        total += len(title) + len(description) + len(footer) + len(author)
        total += sum(len(item["name"]) + len(item["value"]) for item in fields)
        for url in _walk_urls(embed):
            assert _is_http(url), url
    assert total <= 6000
    custom_ids: list[str] = []
    for row in body.get("components", []):
        assert row["type"] == 1
        assert 1 <= len(row["components"]) <= 5
        for button in row["components"]:
            assert button["type"] == 2
            assert 1 <= len(button["label"]) <= 80
            assert 1 <= len(button["custom_id"]) <= 100
            custom_ids.append(button["custom_id"])
    assert len(custom_ids) == len(set(custom_ids))
    assert len(body.get("components", [])) <= 5
    return body


def assert_text_ok(output: object) -> None:
    assert isinstance(output, str)


def _numbers_present(parsed_text: str, first: int, count: int) -> None:
    for number in range(first, first + count):
        assert f"{number}. " in parsed_text, number


def _render_all(view: View, zone: tzinfo) -> tuple[ParsedHTML, dict[str, Any], str]:
    parsed = assert_telegram_ok(telegram.render_view(view, zone))
    body = assert_discord_ok(discord.render_view(view, zone))
    output = text.render_view(view, zone)
    assert_text_ok(output)
    return parsed, body, output


# --- properties ------------------------------------------------------------------------------------------


@PROPERTY
@given(item=TRANSMISSIONS, zone=ZONES)
def test_any_transmission_is_accepted_everywhere(item: Transmission, zone: tzinfo) -> None:
    message = telegram.render_transmission(item, zone)
    assert_telegram_ok(message)
    call = message.to_api()
    if call["method"] == "sendMessage":
        preview = call["link_preview_options"]
        assert preview.get("is_disabled") or preview["url"] == item.url

    assert_discord_ok(discord.render_transmission(item, zone))
    assert_text_ok(text.render_transmission(item, zone))
    _render_all(item, zone)


@pytest.mark.slow
@PROPERTY
@given(page=latest_pages(), zone=ZONES)
def test_any_latest_page_is_accepted_everywhere(page: LatestPage, zone: tzinfo) -> None:
    first = (page.page - 1) * page.per_page + 1

    message = telegram.render_page(page, zone)
    parsed = assert_telegram_ok(message)
    _numbers_present(parsed.text, first, len(page.items))
    for row in message.buttons:
        for _, data in row:
            target = telegram.parse_page_callback(data)
            assert target is not None and 1 <= target <= page.pages

    body = assert_discord_ok(discord.render_page(page, zone))
    _numbers_present(body["embeds"][0].get("description", ""), first, len(page.items))

    output = text.render_page(page, zone)
    assert_text_ok(output)
    _numbers_present(output, first, len(page.items))
    _render_all(page, zone)


@pytest.mark.slow
@PROPERTY
@given(view=search_results(), zone=ZONES)
def test_any_search_results_are_accepted_everywhere(view: SearchResults, zone: tzinfo) -> None:
    parsed, body, output = _render_all(view, zone)
    _numbers_present(parsed.text, 1, len(view.items))
    _numbers_present(body["embeds"][0].get("description", ""), 1, len(view.items))
    _numbers_present(output, 1, len(view.items))


@PROPERTY
@given(view=CATEGORY_LISTS, zone=ZONES)
def test_any_category_list_is_accepted_everywhere(view: CategoryList, zone: tzinfo) -> None:
    _render_all(view, zone)


@PROPERTY
@given(view=NOTICES, zone=ZONES)
def test_any_notice_is_accepted_everywhere(view: Notice, zone: tzinfo) -> None:
    _render_all(view, zone)
