"""render_rich: Telegram rich messages, one when the post fits, numbered parts when it does not."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bench.render_bench import full_post, math_post
from bot.content.full import measure_rich, parse_document, render_rich
from bot.content.full.rich import BUDGET
from bot.content.full.rich_measure import MAX_COLUMNS, MAX_DEPTH, RichSize
from tests.content.full.support import SITE, URL, check_rich, post
from tests.fakes.telegram_rich import check_rich_html


def rich(body: str, **changes: object) -> list[str]:
    parts = render_rich(post(body, **changes))
    for part in parts:
        check_rich(part)
        parsed = check_rich_html(part)  # the fake Bot API's independent validator
        size = measure_rich(part)
        assert size.fits() and size.chars <= BUDGET[0] and size.blocks <= BUDGET[1], size
        assert (parsed.blocks, parsed.media, parsed.depth) == (size.blocks, size.media, size.depth)
        assert parsed.chars <= size.chars
    return parts


def body(part: str) -> str:
    """A part without its header (the title heading and the line under it)."""
    return re.sub(r"^<h[12]>.*?</h[12]>(<img[^>]*/>)?<p>.*?</p>", "", part, count=1)


def one(markdown: str) -> str:
    parts = rich(markdown)
    assert len(parts) == 1
    return body(parts[0])


def text_of(parts: list[str]) -> str:
    return "".join(html.unescape(re.sub(r"<[^>]+>", "", body(part))) for part in parts)


# --- the header ------------------------------------------------------------------------------------------


def test_the_header_shows_title_category_date_and_the_original():
    (part,) = rich("正文。")
    assert part.startswith(
        f'<h1>你好，世界</h1><p><i>随笔</i> · 2026-11-20 · <a href="{URL}">原文</a></p><p>正文。</p>'
    )


def test_the_header_marks_an_edited_post_and_shows_the_readers_date():
    (part,) = rich("x", edited=True, lang="en")
    assert "<p><i>随笔</i> · 2026-11-20 · edited · " in part and ">Original</a>" in part
    late = post("x", published_at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    assert " · 2026-11-21 · " in render_rich(late, timezone(timedelta(hours=8)))[0]


def test_an_unsafe_link_is_left_out_and_a_cover_is_shown():
    (part,) = rich("x", url="javascript:alert(1)", image="https://cdn.example.org/c.png")
    assert "<a " not in part
    assert '<h1>你好，世界</h1><img src="https://cdn.example.org/c.png" alt="你好，世界"/>' in part


def test_markup_in_title_and_category_is_escaped():
    (part,) = rich("x", title="<b>&", category="a<i>")
    assert part.startswith("<h1>&lt;b&gt;&amp;</h1><p><i>a&lt;i&gt;</i>")


# --- constructs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("a **b** *c* ~~d~~ ***e***", "<p>a <b>b</b> <i>c</i> <s>d</s> <b><i>e</i></b></p>"),
        ("x `a<b & c` y", "<p>x <code>a&lt;b &amp; c</code> y</p>"),
        ("[**链接**](https://e.com/?a=1&b=2)", '<p><a href="https://e.com/?a=1&amp;b=2"><b>链接</b></a></p>'),
        ("其中$\\alpha<1$为", "<p>其中<tg-math>\\alpha&lt;1</tg-math>为</p>"),
        ("$$\\frac{a}{b}$$", "<tg-math-block>\\frac{a}{b}</tg-math-block>"),
        (
            "```python\nif a < b:\n    pass\n```",
            '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>',
        ),
        ("```\nplain\n```", "<pre>plain</pre>"),
        ("## 节", "<h2>节</h2>"),
        ("- a\n- b\n    - c", "<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>"),
        ("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>"),
        ("> 引用\n>\n> 第二段", "<blockquote><p>引用</p><p>第二段</p></blockquote>"),
        (
            "| a | b |\n|---|---|\n| $x$ | 2 |",
            "<table><tr><th>a</th><th>b</th></tr><tr><td><tg-math>x</tg-math></td><td>2</td></tr></table>",
        ),
        ("![图](/a.png)", f'<img src="{SITE}/a.png" alt="图"/>'),
        ("a\n\n***\n\nb", "<p>a</p><hr/><p>b</p>"),
        ("a  \nb", "<p>a<br/>b</p>"),
    ],
)
def test_each_construct_in_rich_html(markdown, expected):
    assert one(markdown) == expected


def test_headings_move_down_a_level_when_the_post_uses_level_one():
    assert one("# A\n\n## B") == "<h2>A</h2><h3>B</h3>"


def test_a_list_item_with_several_blocks_keeps_them():
    assert one("- first\n\n    second\n\n    ```sh\n    ls\n    ```\n- next") == (
        '<ul><li>first<p>second</p><pre><code class="language-sh">ls</code></pre></li><li>next</li></ul>'
    )


def test_an_ordered_list_that_starts_elsewhere_than_one_reads_numbered():
    assert one("3. c\n4. d") == "<p>3. c</p><p>4. d</p>"


def test_a_table_wider_than_twenty_columns_becomes_tables_of_twenty_or_fewer():
    header = "|" + "|".join(f"h{i}" for i in range(25)) + "|"
    row = "|" + "|".join(f"$v_{{{i}}}$" for i in range(25)) + "|"
    markup = one(f"{header}\n|{'---|' * 25}\n{row}")
    assert markup.count("<table>") == 2 and measure_rich(markup).columns <= MAX_COLUMNS
    assert [f for f in re.findall(r"<tg-math>(.*?)</tg-math>", markup)] == [f"v_{{{i}}}" for i in range(25)]


@pytest.mark.parametrize("kind", ["list", "quote", "mixed"])
def test_nesting_twenty_deep_stays_within_sixteen_levels(kind):
    if kind == "list":
        markdown = "".join("    " * i + f"- **层{i}** [$x_{i}$](https://e.com/{i})\n" for i in range(20))
    elif kind == "quote":
        markdown = "\n".join(">" * (i + 1) + f" ~~*第{i}层*~~ $y_{i}$" for i in range(20))
    else:
        markdown = "".join(
            ">" * (i // 2 + 1) + " " + "    " * (i // 2) + f"- item {i} $z$\n" for i in range(20)
        )
    (part,) = rich(markdown)
    assert measure_rich(part).depth <= MAX_DEPTH
    assert len(check_rich(part)) == 20 if kind != "mixed" else True


def test_measure_rich_counts_like_telegram():
    markup = (
        '<h1>T</h1><p>a<br/><b>😀</b><tg-math>x</tg-math></p><img src="https://e.com/a.png" alt="ab"/>'
        "<ul><li>i<ul><li>j</li></ul></li></ul><table><tr><th>1</th><th>2</th></tr><tr><td>3</td></tr></table>"
    )
    assert measure_rich(markup) == RichSize(chars=13, blocks=10, depth=4, media=1, columns=2)


# --- long posts ------------------------------------------------------------------------------------------


def test_a_20000_character_math_post_is_one_message_with_every_formula():
    math = full_post(math_post(20_000))
    parts = render_rich(math)
    assert len(parts) == 1 and measure_rich(parts[0]).fits()
    assert check_rich(parts[0]) == parse_document(math).formulas()


def test_a_60000_character_math_post_comes_in_numbered_parts_with_no_formula_cut():
    math = full_post(math_post(60_000))
    parts = render_rich(math)
    assert len(parts) >= 2
    formulas: list[str] = []
    for number, part in enumerate(parts, 1):
        formulas += check_rich(part)
        check_rich_html(part)
        assert measure_rich(part).chars <= BUDGET[0]
        assert f"({number}/{len(parts)})" in part[:300]
    assert formulas == parse_document(math).formulas()
    assert parts[0].startswith("<h1>") and all(part.startswith("<h2>") for part in parts[1:])


def test_a_huge_table_repeats_its_header_in_every_part():
    rows = "\n".join(f"| {i} | 第{i}行 | $r_{{{i}}}$ |" for i in range(1200))
    parts = rich(f"前言\n\n| # | 名 | 值 |\n|---|---|---|\n{rows}\n\n后记")
    assert len(parts) >= 3
    assert all("<table><tr><th>#</th><th>名</th><th>值</th></tr>" in part for part in parts)
    cells = [int(n) for part in parts for n in re.findall(r"<tr><td>(\d+)</td>", part)]
    assert cells == list(range(1200))
    assert text_of(parts).startswith("前言") and text_of(parts).endswith("后记")


def test_a_huge_code_block_is_split_at_lines_and_keeps_its_language():
    code = "\n".join(f"x_{i} = {i} < {i + 1}  # 第{i}行" for i in range(4000))
    parts = rich(f"```python\n{code}\n```")
    assert len(parts) >= 3
    pieces = [re.search(r'<pre><code class="language-python">(.*?)</code></pre>', p, re.S) for p in parts]
    assert all(pieces)
    assert "".join(html.unescape(p.group(1)) for p in pieces if p) == code


def test_a_huge_ordered_list_keeps_counting_across_parts():
    items = "\n".join(f"{i}. 第{i}项 " + "字" * 60 for i in range(1, 701))
    parts = rich(items)
    assert len(parts) >= 2
    numbers = [int(n) for part in parts for n in re.findall(r"<p>(\d+)\. 第", part)]
    assert numbers == list(range(1, 701))


def test_a_huge_paragraph_is_split_without_losing_a_character():
    paragraph = "".join(f"第{i}句话，其中$a_{{{i}}}$很重要。" for i in range(3000))
    parts = rich(paragraph)
    assert len(parts) >= 2
    assert text_of(parts) == re.sub(r"\$(.*?)\$", r"\1", paragraph)


def test_more_than_fifty_images_spread_over_parts():
    parts = rich("\n\n".join(f"![{i}](https://e.com/{i}.png)" for i in range(120)))
    assert len(parts) >= 3 and all(measure_rich(part).media <= 50 for part in parts)
    assert [int(n) for part in parts for n in re.findall(r'alt="(\d+)"', part)] == list(range(120))


def test_many_small_blocks_respect_the_block_limit():
    parts = rich("\n\n".join(f"- {i}" for i in range(1500)).replace("\n\n", "\n"))
    assert len(parts) >= 4 and all(measure_rich(part).blocks <= BUDGET[1] for part in parts)


def test_a_truncated_post_says_so_at_the_end():
    parts = rich(("段落。" * 300 + "\n\n") * 250)
    assert parts[-1].endswith(
        f'全文太长，聊天里只发送了前面的部分，其余请看原文。</i> <a href="{URL}">原文</a></p>'
    )
    counts = Counter(part.count("<h1>") for part in parts)
    assert counts[1] == 1
