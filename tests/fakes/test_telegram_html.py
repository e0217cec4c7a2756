"""Tests of the strict Telegram HTML validator used as an oracle by the renderer tests and the fake server."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.telegram_html import (
    ParsedHTML,
    TelegramHTMLError,
    check_callback_data,
    check_caption,
    check_message_text,
    parse_telegram_html,
)

PARSE = "Bad Request: can't parse entities: "


def refusal(raw: str) -> TelegramHTMLError:
    with pytest.raises(TelegramHTMLError) as caught:
        parse_telegram_html(raw)
    return caught.value


# --- accepted input --------------------------------------------------------------------------------------


def test_nested_bold_and_italic_inside_a_link() -> None:
    parsed = parse_telegram_html(
        '<a href="https://example.com/?a=1&amp;b=2"><b>bold <i>both</i></b></a> tail'
    )

    assert parsed == ParsedHTML(
        "bold both tail",
        [("text_link", 0, 9), ("bold", 0, 9), ("italic", 5, 4)],
    )


def test_pre_with_a_language_is_one_pre_entity() -> None:
    parsed = parse_telegram_html('<pre><code class="language-python">print(1 &lt; 2)\n</code></pre>\nafter')

    assert parsed.text == "print(1 < 2)\n\nafter"
    assert parsed.entities == [("pre", 0, 13)]


def test_plain_pre_and_code() -> None:
    parsed = parse_telegram_html("<pre>a  b</pre> <code>x&amp;y</code>")

    assert parsed.text == "a  b x&y"
    assert parsed.entities == [("pre", 0, 4), ("code", 5, 3)]


def test_entities_are_decoded_into_the_visible_text() -> None:
    parsed = parse_telegram_html("&lt;tag&gt; &amp; &quot;q&quot; &#39;s &#x27; &#x1F600; &#128512; ")

    assert parsed.text == "<tag> & \"q\" 's ' 😀 😀 "
    assert parsed.entities == []


def test_offsets_and_lengths_are_utf16_code_units() -> None:
    # 😀 and 🎉 are two UTF-16 units each; CJK and Cyrillic are one.
    parsed = parse_telegram_html("😀 <b>中文</b> <i>🎉x</i> <u>привет</u>")

    assert parsed.text == "😀 中文 🎉x привет"
    assert parsed.entities == [("bold", 3, 2), ("italic", 6, 3), ("underline", 10, 6)]


def test_entity_spanning_an_emoji_encoded_as_a_character_reference() -> None:
    parsed = parse_telegram_html("<s>&#x1F600;</s>&#x1F600;<s>a</s>")

    assert parsed.entities == [("strikethrough", 0, 2), ("strikethrough", 4, 1)]


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("b", "bold"),
        ("strong", "bold"),
        ("i", "italic"),
        ("em", "italic"),
        ("u", "underline"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_every_simple_tag_and_synonym(tag: str, kind: str) -> None:
    assert parse_telegram_html(f"x<{tag}>yz</{tag}>").entities == [(kind, 1, 2)]


def test_tag_names_are_case_insensitive() -> None:
    assert parse_telegram_html("<B>x</b><EM>y</Em>").entities == [("bold", 0, 1), ("italic", 1, 1)]


def test_spoiler_span_blockquotes_custom_emoji_and_mention() -> None:
    parsed = parse_telegram_html(
        "<span class='tg-spoiler'>s</span><blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><a href="tg://user?id=42">me</a>'
    )

    assert parsed.text == "sqe👍me"
    assert parsed.entities == [
        ("spoiler", 0, 1),
        ("blockquote", 1, 1),
        ("expandable_blockquote", 2, 1),
        ("custom_emoji", 3, 2),
        ("text_mention", 5, 2),
    ]


def test_formatting_and_links_inside_a_blockquote() -> None:
    parsed = parse_telegram_html(
        '<blockquote>a <b>b <a href="http://x.io">c</a></b> <code>d</code></blockquote>'
    )

    assert parsed.text == "a b c d"
    assert parsed.entities == [("blockquote", 0, 7), ("bold", 2, 3), ("text_link", 4, 1), ("code", 6, 1)]


def test_equal_ranges_are_listed_outer_first() -> None:
    assert parse_telegram_html("<b><i><u>x</u></i></b>").entities == [
        ("bold", 0, 1),
        ("italic", 0, 1),
        ("underline", 0, 1),
    ]


def test_empty_elements_make_no_entity_and_newlines_are_literal() -> None:
    assert parse_telegram_html("<b></b>line 1\nline 2<i></i>") == ParsedHTML("line 1\nline 2", [])


def test_attribute_values_decode_entities_and_accept_either_quote() -> None:
    assert parse_telegram_html("<a href='https://e.com/?q=&quot;a&quot;&amp;x=1'>l</a>").entities == [
        ("text_link", 0, 1)
    ]


# --- rejections ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("привет <div>x</div>", 'Unsupported start tag "div" at byte offset 13'),
        ("😀<P>", 'Unsupported start tag "p" at byte offset 4'),
        ("<b/>", 'Unsupported start tag "b/" at byte offset 0'),
        ("<!-- c -->", 'Unsupported start tag "!--" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ('<a href="x', "Unclosed start tag at byte offset 0"),
        ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        (
            "<b foo>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<span class="spoiler">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b>x</b y>", "Unclosed end tag at byte offset 4"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<tg-emoji emoji-id="x">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("<tg-emoji>👍</tg-emoji>", "Invalid custom emoji identifier specified"),
    ],
)
def test_refusals_telegram_itself_makes(raw: str, detail: str) -> None:
    error = refusal(raw)

    assert error.description == PARSE + detail
    assert str(error) == error.description
    assert isinstance(error, ValueError)
    assert not error.telegram_accepts


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        # Telegram keeps these literally; an oracle for our escaping must not.
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("a&nbsp;b", 'Unsupported named entity "&nbsp;" at byte offset 1'),
        ("&copy; 2026", 'Unsupported named entity "&copy;"'),
        ("&lt without semicolon", 'Unescaped "&" at byte offset 0'),
        ("&#65 without semicolon", 'Unescaped "&"'),
        ("&#X41;", 'Unescaped "&"'),
        ("&#0;", 'Invalid character reference "&#0;"'),
        ("&#xD800;", 'Invalid character reference "&#xD800;"'),
        ("&#x110000;", "Invalid character reference"),
        ("&#99999999999999999999;", "Invalid character reference"),
        ("a > b", 'Unescaped ">" at byte offset 2'),
        ('<a href="https://e.com/?a=1&b=2">x</a>', 'Unescaped "&" at byte offset 27'),
        ('<a href="https://e.com/<x>">x</a>', 'Unescaped "<" in an attribute value'),
        # Telegram silently drops or re-targets these links.
        ("<a>https://example.com</a>", 'Tag "a" must have an http(s):// or tg:// href at byte offset 0'),
        ('<a href="">x</a>', 'Tag "a" must have'),
        ('<a href="javascript:alert(1)">x</a>', 'Tag "a" must have'),
        ('<a href="example.com">x</a>', 'Tag "a" must have'),
        ('<a href="https://">x</a>', 'Tag "a" must have'),
        ('<a href="https://exa mple.com">x</a>', 'Tag "a" must have'),
        ("<a href=https>x</a>", 'Unquoted value of the attribute "href" at byte offset 8'),
        ('<b class="x">y</b>', 'Unsupported attribute "class" in the tag "b"'),
        ('<a HREF="https://e.com">y</a>', 'Unsupported attribute "HREF" in the tag "a"'),
        # Telegram strips entities in forbidden nesting, so the message would not look as rendered.
        ("<code><b>x</b></code>", 'Tag "b" can\'t be nested inside "code" at byte offset 6'),
        ("<pre>a<i>b</i></pre>", 'Tag "i" can\'t be nested inside "pre"'),
        ("<pre><code>x</code></pre>", 'Tag "code" can\'t be nested inside "pre"'),
        ("<blockquote><blockquote>x</blockquote></blockquote>", 'Tag "blockquote" can\'t be nested inside'),
        ("<blockquote><b><blockquote>x</blockquote></b></blockquote>", 'Tag "blockquote" can\'t be nested'),
        ("<b><blockquote>x</blockquote></b>", 'Tag "blockquote" can\'t be nested inside "b"'),
        ('<a href="https://a.io"><a href="https://b.io">x</a></a>', 'Tag "a" can\'t be nested inside "a"'),
        ('<a href="https://a.io"><code>x</code></a>', 'Tag "code" can\'t be nested inside "a"'),
        ('<code class="language-py">x</code>', 'Only <code class="language-…"> directly inside <pre>'),
        ('<pre><code class="python">x</code></pre>', 'Only <code class="language-…"> directly inside <pre>'),
        ('<pre>a<code class="language-py">b</code></pre>', "must be the whole content of <pre>"),
        ('<pre><code class="language-py">b</code>c</pre>', "must be the whole content of <pre>"),
        ("<b>x</>", 'expected "</b>", found "</>"'),
    ],
)
def test_strict_refusals_beyond_telegram(raw: str, fragment: str) -> None:
    error = refusal(raw)

    assert error.description.startswith(PARSE)
    assert fragment in error.description
    assert error.telegram_accepts


def test_lone_surrogates_are_not_utf8() -> None:
    assert refusal("a\ud800b").description == "Bad Request: strings must be encoded in UTF-8"


# --- limits ----------------------------------------------------------------------------------------------


def expect(check: Callable[[str], object], raw: str, description: str) -> None:
    with pytest.raises(TelegramHTMLError) as caught:
        check(raw)
    assert caught.value.description == description


def test_text_limit_counts_code_points_not_utf16_units() -> None:
    assert len(check_message_text("😀" * 4096).text) == 4096
    expect(check_message_text, "😀" * 4097, "Bad Request: message is too long")


def test_text_limit_counts_visible_text_not_markup() -> None:
    check_message_text("<b>" + "a&amp;" * 2048 + "</b>")
    expect(check_message_text, "<b>" + "a&amp;" * 2048 + "!</b>", "Bad Request: message is too long")


def test_raw_text_is_capped_at_32768_bytes_before_parsing() -> None:
    at_cap = "a" * 4096 + "<b></b>" * 4096
    assert len(at_cap.encode()) == 32768
    check_message_text(at_cap)
    expect(check_message_text, at_cap + " ", "Bad Request: text is too long")
    expect(check_caption, "<i></i>" * 4700, "Bad Request: text is too long")
    # The byte cap wins even over markup errors, as the server checks it first.
    expect(check_message_text, "<p>" * 11000, "Bad Request: text is too long")


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "<b> </b>", "\u200b", "&#160;&#x3000;"])
def test_blank_text_is_empty(raw: str) -> None:
    expect(check_message_text, raw, "Bad Request: message text is empty")


def test_markup_errors_come_before_the_empty_check() -> None:
    expect(check_message_text, "<p></p>", PARSE + 'Unsupported start tag "p" at byte offset 0')


def test_caption_limit() -> None:
    assert check_caption("").text == ""
    assert check_caption("<b>" + "é" * 1024 + "</b>").entities == [("bold", 0, 1024)]
    expect(check_caption, "é" * 1025, "Bad Request: message caption is too long")
    expect(check_caption, "<b>x", PARSE + 'Can\'t find end tag corresponding to start tag "b"')


@pytest.mark.parametrize("data", ["a", "a" * 64, "é" * 32, "😀" * 16, "post:42:é"])
def test_callback_data_accepted(data: str) -> None:
    check_callback_data(data)


@pytest.mark.parametrize("data", ["", "a" * 65, "é" * 33, "😀" * 16 + "a"])
def test_callback_data_refused_by_utf8_bytes(data: str) -> None:
    expect(check_callback_data, data, "Bad Request: BUTTON_DATA_INVALID")


# --- properties ------------------------------------------------------------------------------------------

utf8_text = st.text(st.characters(codec="utf-8"))


@given(utf8_text)
def test_escaped_text_round_trips(s: str) -> None:
    assert parse_telegram_html(html.escape(s)) == ParsedHTML(s, [])
    assert parse_telegram_html(html.escape(s, quote=False)).text == s


@given(utf8_text.filter(bool), utf8_text)
def test_wrapped_text_gets_one_entity_of_its_utf16_length(inner: str, before: str) -> None:
    parsed = parse_telegram_html(f"{html.escape(before)}<b>{html.escape(inner)}</b>")

    utf16 = len(before.encode("utf-16-le")) // 2
    assert parsed.entities == [("bold", utf16, len(inner.encode("utf-16-le")) // 2)]


@given(st.tuples(utf8_text, st.sampled_from("<>"), utf8_text).map("".join))
def test_unescaped_angle_brackets_never_pass(s: str) -> None:
    # "< " can never start a tag, so every such input must be refused somewhere.
    with pytest.raises(TelegramHTMLError):
        parse_telegram_html(s.replace("<", "< "))
