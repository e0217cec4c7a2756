"""The Rich HTML validator and the InputRichMessage checks the fake Telegram server answers with."""

from __future__ import annotations

import html
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.telegram_rich import (
    EMPTY,
    MAX_TEXT_CHARS,
    TOO_DEEP,
    TOO_LONG,
    TOO_MANY_BLOCKS,
    TOO_MANY_COLUMNS,
    TOO_MANY_MEDIA,
    RichBlock,
    RichMessageError,
    check_rich_html,
)
from tests.fakes.telegram_rich_input import check_input_rich_message

PARSE = "Bad Request: can't parse rich message: "
ARTICLE = """<h1>梯度下降 Gradient descent</h1>
<p>机器学习中最常用的优化方法：沿着 <b>负梯度</b> 方向更新参数，步长为 <tg-math>\\eta &lt; 1</tg-math>。</p>
<tg-math-block>\\theta_{t+1} = \\theta_t - \\eta \\nabla_\\theta L(\\theta_t),
  \\quad 0 &lt; \\eta \\le 1</tg-math-block>
<h2>代码 <i>Code</i></h2>
<pre><code class="language-python">for x, y in data:
    w -= lr * grad(w, x, y)  # 1 &lt; 2 &amp;&amp; "q"
</code></pre>
<ol>
  <li>初始化 <code>w</code></li>
  <li>重复：
    <ul><li>计算梯度 <sub>i</sub><sup>2</sup></li>
      <li><mark>更新</mark> <tg-spoiler>参数</tg-spoiler></li></ul>
  </li>
</ol>
<table>
  <thead><tr><th>方法</th><th align="center">收敛</th></tr></thead>
  <tbody><tr><td>SGD</td><td colspan="1">慢 <s>快</s></td></tr><tr><td>Adam</td><td>快</td></tr></tbody>
</table>
<blockquote><p>All models are wrong, but some are useful.</p></blockquote>
<aside>学习率决定一切</aside>
<details><summary>推导 Derivation</summary>
  <p>由泰勒展开 <tg-math>L(\\theta + \\delta) \\approx L + \\nabla L^\\top \\delta</tg-math></p>
</details>
<img src="https://example.org/loss.png" alt="loss curve">
<p>原文：<a href="https://e.org/gd">阅读全文</a><br><u>A</u> &amp; <em>B</em> &#x2014; &quot;2026&quot;</p>
<hr>
<footer>INCOMING TRANSMISSION</footer>"""


def refusal(raw: str) -> str:
    with pytest.raises(RichMessageError) as caught:
        check_rich_html(raw)
    return caught.value.description


def repeat(tag: str, inner: str, times: int) -> str:
    return f"<{tag}>" * times + inner + f"</{tag}>" * times


# --- the validator: accepted input --------------------------------------------------------------------


def test_a_realistic_article_is_accepted() -> None:
    parsed = check_rich_html(ARTICLE)

    assert [block.type for block in parsed.outline] == [
        "section_heading", "paragraph", "mathematical_expression", "section_heading", "preformatted",
        "list", "table", "block_quotation", "pull_quotation", "details", "photo", "paragraph", "divider",
        "footer",
    ]  # fmt: skip
    assert parsed.outline[2].text.endswith("L(\\theta_t),\n  \\quad 0 < \\eta \\le 1")  # the source as sent
    assert 'w -= lr * grad(w, x, y)  # 1 < 2 && "q"' in parsed.outline[4].text
    assert parsed.outline[5].text == "初始化 w\n重复：\n计算梯度 i2\n更新 参数"
    assert parsed.outline[6].text == "方法\t收敛\nSGD\t慢 快\nAdam\t快"
    assert parsed.outline[11].text == '原文：阅读全文\nA & B — "2026"'
    assert (parsed.media, parsed.depth) == (1, 5)  # ol > li > ul > li > sub
    # 14 top-level blocks; 2 items of the outer list; the inner list and its 2 items; 3 table rows;
    # the paragraphs inside the quote and the details
    assert parsed.blocks == 14 + 2 + 1 + 2 + 3 + 1 + 1
    assert parsed.text.startswith("梯度下降 Gradient descent\n机器学习中最常用的优化方法")


def test_loose_text_at_the_top_level_is_a_paragraph_and_whitespace_between_blocks_is_not_text() -> None:
    parsed = check_rich_html("intro <b>bold</b>\n<p>one</p>\n\n<ul>\n  <li>two</li>\n</ul>\ntail")

    assert parsed.outline == (
        RichBlock("paragraph", "intro bold"),
        RichBlock("paragraph", "one"),
        RichBlock("list", "two"),
        RichBlock("paragraph", "tail"),
    )
    assert parsed.chars == len("intro bold\n") + len("one") + len("two") + len("tail")


def test_allowed_links_images_and_code_languages() -> None:
    links = ["https://example.org/a?b=1&amp;c=2", "http://x.io", "tg://resolve?domain=x", "mailto:a@b.org"]
    for href in links:
        check_rich_html(f'<p><a href="{href}">x</a></p>')
    check_rich_html('<img src="tg://photo?id=AgACAgIAAxk">')
    check_rich_html('<pre><code class="language-c++">int x;</code></pre><pre>plain</pre>')


@given(st.text())
def test_escaped_text_in_a_paragraph_round_trips(text: str) -> None:
    raw = f"<p>{html.escape(text, quote=False)}</p>"
    if not text.strip():
        assert refusal(raw) == EMPTY
    elif len(text) <= MAX_TEXT_CHARS:
        assert check_rich_html(raw).text == text.strip()


def test_a_32_kb_message_validates_in_milliseconds() -> None:
    row = "<tr>" + "<td><b>格</b> &amp; <tg-math>x^2 &lt; 1</tg-math></td>" * 4 + "</tr>"
    raw = "<table>" + row * 100 + "</table>" + "<p>" + "文字 <i>斜体</i> " * 800 + "</p>"
    started = time.perf_counter()
    parsed = check_rich_html(raw)
    elapsed = time.perf_counter() - started
    assert 32_000 < len(raw) < 33_000 and (parsed.blocks, parsed.chars) == (102, 9_200)
    assert elapsed < 0.5  # 50 to 80 ms on a busy 2-core machine (2,100 elements); html.parser is 40% of it


# --- the validator: refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<p>中<span>x</span></p>", 'Unsupported start tag "span" at byte offset 6'),
        ("<p>中文</p>\n<p>第二行 <div></div></p>", 'Unsupported start tag "div" at byte offset 27'),
        ('<p class="x">x</p>', 'Unsupported attribute "class" in the tag "p" at byte offset 0'),
        ('<p><a href="https://e.org" title="t">x</a></p>', 'Unsupported attribute "title" in the tag "a"'),
        ('<img src="https://e.org/a.png" width="3">', 'Unsupported attribute "width" in the tag "img"'),
        ('<table><tr><td style="x">1</td></tr></table>', 'Unsupported attribute "style" in the tag "td"'),
        ("<p>x", 'Can\'t find end tag corresponding to start tag "p"'),
        ("<p><b>x</p></b>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</p>"'),
        ("<p>x</p></p>", 'Unexpected end tag "</p>" at byte offset 8'),
        ("<p>x<br></br></p>", 'Unmatched end tag at byte offset 8, expected "</p>", found "</br>"'),
        ("<p/>", 'Tag "p" can\'t be self-closing at byte offset 0'),
        ("<ul>item</ul>", 'Text can\'t be directly inside "ul" at byte offset 4'),
        ("<ol><b>x</b></ol>", 'Tag "b" can\'t be directly inside "ol" at byte offset 4'),
        ("<table>x</table>", 'Text can\'t be directly inside "table" at byte offset 7'),
        ("<table><tr>x</tr></table>", 'Text can\'t be directly inside "tr" at byte offset 11'),
        ("<table><p>x</p></table>", 'Tag "p" can\'t be directly inside "table" at byte offset 7'),
        ("<li>x</li>", 'Tag "li" must be directly inside "ul" or "ol" at byte offset 0'),
        ("<blockquote><li>x</li></blockquote>", 'Tag "li" must be directly inside "ul" or "ol"'),
        ("<tr><td>x</td></tr>", 'Tag "tr" must be inside "table" at byte offset 0'),
        ("<table><td>x</td></table>", 'Tag "td" must be directly inside "tr" at byte offset 7'),
        ("<p><thead></thead></p>", 'Tag "thead" must be directly inside "table" at byte offset 3'),
        ("<b><p>x</p></b>", 'Tag "p" can\'t be inside "b" at byte offset 3'),
        ("<p><ul><li>x</li></ul></p>", 'Tag "ul" can\'t be inside "p" at byte offset 3'),
        ("<p>a<img src='https://e.org/a.png'></p>", 'Tag "img" can\'t be inside "p" at byte offset 4'),
        ("<h2>a<hr></h2>", 'Tag "hr" can\'t be inside "h2" at byte offset 5'),
        ("<table><tr><td><p>x</p></td></tr></table>", 'Tag "p" can\'t be inside "td"'),
        ("<p><tg-math>x<b>y</b></tg-math></p>", 'Tag "b" can\'t be inside "tg-math" at byte offset 13'),
        ("<pre>a<b>x</b></pre>", 'Tag "b" can\'t be inside "pre" at byte offset 6'),
        ("<pre>a<code>x</code></pre>", 'Tag "code" must be the whole content of "pre" at byte offset 6'),
        ("<pre><code>x</code>tail</pre>", 'Tag "code" must be the whole content of "pre" at byte offset 19'),
        ('<p><code class="language-py">x</code></p>', 'Only <code class="language-…"> directly inside <pre>'),
        ('<pre><code class="python">x</code></pre>', 'Only <code class="language-…"> directly inside <pre>'),
        ('<p><a href="https://a.org"><a href="https://b.org">x</a></a></p>', 'Tag "a" can\'t be inside "a"'),
        ("<p><a>x</a></p>", 'Tag "a" must have an http(s)://, tg:// or mailto: href at byte offset 3'),
        ('<p><a href="javascript:alert(1)">x</a></p>', 'Tag "a" must have an http(s)://, tg:// or mailto:'),
        ('<img src="/relative.png">', 'Tag "img" must have an http(s):// or tg://photo?id= src'),
        ('<img src="tg://photo?id=">', 'Tag "img" must have an http(s):// or tg://photo?id= src'),
        ("<details><p>x</p></details>", 'Tag "details" must begin with "summary" at byte offset 9'),
        ("<details>text<summary>s</summary></details>", 'Tag "details" must begin with "summary"'),
        ("<details></details>", 'Tag "details" must begin with "summary" at byte offset 0'),
        (
            "<details><summary>a</summary><summary>b</summary></details>",
            'Tag "summary" must be the first child',
        ),
        ("<p><tg-math> </tg-math></p>", 'Empty formula in the tag "tg-math" at byte offset 3'),
        (
            "<p>x</p><tg-math-block>\n</tg-math-block>",
            'Empty formula in the tag "tg-math-block" at byte offset 8',
        ),
        ("<p>&nbsp;</p>", 'Unsupported entity "&nbsp;" at byte offset 3'),
        ("<p>&apos;</p>", 'Unsupported entity "&apos;" at byte offset 3'),
        ("<p>&amp</p>", 'Unsupported entity "&amp" at byte offset 3'),
        ("<p>中&#0;</p>", 'Invalid character reference "&#0;" at byte offset 6'),
        ("<p>&#xD800;</p>", 'Invalid character reference "&#xD800;"'),
        ("<p>a & b</p>", 'Unescaped "&" at byte offset 5'),
        ("<p>a < b</p>", 'Unescaped "<" at byte offset 5'),
        ("<p>x</p", 'Unescaped "<" at byte offset 4'),
        (
            '<p><a href="https://e.org/?a=1&b=2">x</a></p>',
            'Unsupported entity in the tag "a" at byte offset 30',
        ),
        ("<p>x</>y</p>", "Unsupported markup at byte offset 4"),
        ("<!-- note --><p>x</p>", "Comments, declarations and processing instructions are not supported"),
        (
            '<table><tr><td colspan="two">x</td></tr></table>',
            'Attribute "colspan" of the tag "td" must be a number',
        ),
        (
            '<table><tr><th align="justify">x</th></tr></table>',
            'Attribute "align" of the tag "th" must be left',
        ),
        ('<p><a href="https://e.org" href="https://f.org">x</a></p>', 'Duplicate attribute "href"'),
    ],
)
def test_each_error_class_is_refused_with_a_precise_reason(raw: str, reason: str) -> None:
    description = refusal(raw)

    assert description.startswith(PARSE)
    assert reason in description


@pytest.mark.parametrize("raw", ["", "   \n", "<p></p>", "<p> <b> </b> </p>", "<hr>", "<p><br></p>"])
def test_a_message_with_nothing_visible_is_empty(raw: str) -> None:
    assert refusal(raw) == EMPTY


def test_the_first_error_found_is_the_one_reported() -> None:
    assert refusal("<p>&nbsp;<div></div></p>") == PARSE + 'Unsupported entity "&nbsp;" at byte offset 3'
    assert refusal("<p>" + "x" * MAX_TEXT_CHARS + "y</p><div>") == TOO_LONG


# --- the validator: limits at their boundaries --------------------------------------------------------


def test_text_limit_counts_visible_characters_formula_source_included() -> None:
    assert check_rich_html("<p>" + "x" * 32_768 + "</p>").chars == 32_768
    assert refusal("<p>" + "x" * 32_769 + "</p>") == TOO_LONG
    formula = "\\frac{a}{b}"  # 11 characters of LaTeX source count like any text
    at_limit = "<p>" + "字" * (32_768 - 11) + f"<tg-math>{formula}</tg-math></p>"
    assert check_rich_html(at_limit).chars == 32_768
    assert refusal(at_limit.replace("<p>", "<p>字")) == TOO_LONG
    entities = "<p>" + "&amp;" * 32_768 + "</p>"  # five characters of markup, one of text each
    assert check_rich_html(entities).chars == 32_768
    assert refusal(entities.replace("<p>", "<p>&lt;")) == TOO_LONG


def test_block_limit_counts_nested_blocks_items_and_rows() -> None:
    assert check_rich_html("<p>x</p>" * 500).blocks == 500
    assert refusal("<p>x</p>" * 501) == TOO_MANY_BLOCKS
    items = "<ul>" + "<li>x</li>" * 499 + "</ul>"  # the list is a block, and each item
    assert check_rich_html(items).blocks == 500
    assert refusal(items.replace("<ul>", "<ul><li>x</li>")) == TOO_MANY_BLOCKS
    rows = "<blockquote><table>" + "<tr><td>x</td></tr>" * 498 + "</table></blockquote>"
    assert check_rich_html(rows).blocks == 500
    assert refusal(rows.replace("<table>", "<table><tr><td>x</td></tr>")) == TOO_MANY_BLOCKS
    details = "<details><summary>s</summary>" + "<p>x</p>" * 499 + "</details>"
    assert check_rich_html(details).blocks == 500
    assert refusal("<hr>" + details) == TOO_MANY_BLOCKS


def test_nesting_limit_is_sixteen_levels() -> None:
    quotes = repeat("blockquote", "<p>x</p>", 15)  # 15 quotes and a paragraph: 16 levels
    assert check_rich_html(quotes).depth == 16
    assert refusal(repeat("blockquote", "<p>x</p>", 16)) == TOO_DEEP
    assert check_rich_html(f"<p>{repeat('b', 'x', 15)}</p>").depth == 16
    assert refusal(f"<p>{repeat('b', 'x', 16)}</p>") == TOO_DEEP
    lists = "<ul><li>" * 8 + "x" + "</li></ul>" * 8  # ul and li each add a level
    assert check_rich_html(lists).depth == 16
    assert refusal("<blockquote>" + lists + "</blockquote>") == TOO_DEEP


def test_column_limit_is_twenty_per_row_colspans_included() -> None:
    def table(cells: str) -> str:
        return f"<table><thead><tr>{cells}</tr></thead></table>"

    assert check_rich_html(table("<th>h</th>" * 20))
    assert refusal(table("<th>h</th>" * 21)) == TOO_MANY_COLUMNS
    assert refusal(table('<td colspan="2">x</td>' * 10 + "<td>x</td>")) == TOO_MANY_COLUMNS


def test_media_limit_is_fifty_images() -> None:
    images = "".join(f'<img src="https://example.org/{n}.png">' for n in range(50))
    assert check_rich_html(images).media == 50
    assert refusal(images + '<img src="tg://photo?id=51">') == TOO_MANY_MEDIA


# --- InputRichMessage ------------------------------------------------------------------------------------


def test_input_rich_message_accepts_an_object_or_its_json_text() -> None:
    message = {"html": "<p>hi</p>", "is_rtl": False, "skip_entity_detection": True}
    for value in (message, json.dumps(message)):
        checked = check_input_rich_message(value)
        assert (checked.form, checked.source, checked.text, checked.message) == (
            "html",
            "<p>hi</p>",
            "hi",
            message,
        )
    markdown = check_input_rich_message({"markdown": "# Title\n\n$x^2$"})
    assert (markdown.form, markdown.text) == ("markdown", "# Title\n\n$x^2$")
    blocks = [
        {"type": "section_heading", "text": "T", "size": 1},
        {"type": "paragraph", "text": ["a", {"type": "bold", "text": "b"}]},
    ]
    checked = check_input_rich_message({"blocks": blocks})
    assert (checked.form, checked.outline) == (
        "blocks",
        (RichBlock("section_heading", "T"), RichBlock("paragraph", "ab")),
    )


@pytest.mark.parametrize(
    ("value", "description"),
    [
        (None, EMPTY),
        ("{not json", "Bad Request: can't parse rich message JSON object"),
        ('["html"]', "Bad Request: can't parse rich message JSON object"),
        ({}, "Bad Request: exactly one of html, markdown and blocks must be specified"),
        (
            {"html": "<p>a</p>", "markdown": "a"},
            "Bad Request: exactly one of html, markdown and blocks must be specified",
        ),
        ({"markdown": " \n"}, EMPTY),
        ({"markdown": 5}, 'Bad Request: field "markdown" must be of type String'),
        ({"markdown": "x" * 32_769}, TOO_LONG),
        ({"blocks": []}, EMPTY),
        (
            {"blocks": {"type": "paragraph"}},
            'Bad Request: field "blocks" must be of type Array of InputRichBlock',
        ),
        ({"blocks": ["text"]}, 'Bad Request: unsupported rich block type "None"'),
        ({"blocks": [{"type": "title", "text": "T"}]}, 'Bad Request: unsupported rich block type "title"'),
        ({"blocks": [{"type": "divider"}] * 501}, TOO_MANY_BLOCKS),
        ({"html": "<p>a</p>", "is_rtl": "yes"}, 'Bad Request: field "is_rtl" must be of type Boolean'),
        ({"html": "<p>a</p>", "media": [{}] * 51}, TOO_MANY_MEDIA),
        (
            {"html": "<p>a</p>", "media": "x"},
            'Bad Request: field "media" must be of type Array of InputRichMessageMedia',
        ),
        ({"html": "<p>a\ud800</p>"}, "Bad Request: strings must be encoded in UTF-8"),
        ({"html": "<div>"}, PARSE + 'Unsupported start tag "div" at byte offset 0'),
    ],
)
def test_input_rich_message_refusals(value: object, description: str) -> None:
    with pytest.raises(RichMessageError) as caught:
        check_input_rich_message(value)
    assert caught.value.description == description
