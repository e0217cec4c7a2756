"""render_classic: the post as Telegram HTML parts (parse_mode HTML), the fallback to rich messages."""

from __future__ import annotations

import re

import pytest

from bench.render_bench import full_post, math_post
from bot.content.full import render_classic
from tests.content.full.support import URL, post, visible
from tests.fakes.telegram_html import check_message_text


def classic(markdown: str, **changes: object) -> list[str]:
    parts = render_classic(post(markdown, **changes))
    for part in parts:
        check_message_text(part)  # the fake Bot API's strict parser: tags, nesting, 4096, 32 KB
        assert len(visible(part)) <= 4096 and len(part.encode()) <= 32768
    return parts


def one(markdown: str) -> str:
    parts = classic(markdown)
    assert len(parts) == 1
    return parts[0].split("\n\n", 1)[1]


def test_the_header_has_the_title_meta_line_and_link():
    (part,) = classic("正文。", edited=True)
    assert (
        part == f'<b>你好，世界</b>\n<i>随笔</i> · 2026-11-20 · 已更新 · <a href="{URL}">原文</a>\n\n正文。'
    )


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("a **b** *c* ~~d~~", "a <b>b</b> <i>c</i> <s>d</s>"),
        (
            "x `a<b` [**l**](https://e.com/?a&b)",
            'x <code>a&lt;b</code> <b><a href="https://e.com/?a&amp;b">l</a></b>',
        ),
        ("## 节\n\n文", "<b>节</b>\n\n文"),
        ("其中$\\alpha_t^2$为", "其中αₜ²为"),
        ("公式$\\unknownmacro{x}$在", "公式<code>\\unknownmacro{x}</code>在"),
        ("$$\\frac{a}{b}$$", "a/b"),
        (
            "$$\\begin{pmatrix}a\\end{pmatrix}$$",
            '<pre><code class="language-latex">\\begin{pmatrix}a\\end{pmatrix}</code></pre>',
        ),
        ("```go\nx := 1 < 2\n```", '<pre><code class="language-go">x := 1 &lt; 2</code></pre>'),
        ("- a\n- b\n    1. c", "• a\n• b\n  1. c"),
        ("> 引用 **粗**\n>\n> > 内层", "<blockquote>引用 <b>粗</b>\n\n│ 内层</blockquote>"),
        ("![图](https://e.com/a.png)", '🖼 <a href="https://e.com/a.png">图</a>'),
        ("| a | 值 |\n|---|---|\n| x | $\\beta$ |", "<pre>a | 值\n--+---\nx | β\n</pre>"),
        (
            "| [a](https://e.com) | b |\n|---|---|\n| 1 | 2 |",
            '<b><a href="https://e.com">a</a></b> | <b>b</b>\n1 | 2',
        ),
    ],
)
def test_each_construct_in_telegram_html(markdown, expected):
    assert one(markdown) == expected


def test_a_long_post_comes_in_numbered_parts_within_the_limits():
    parts = classic(math_post(20_000))
    assert len(parts) >= 4
    for number, part in enumerate(parts, 1):
        assert f"({number}/{len(parts)})" in part.split("\n", 2)[number == 1]
    assert parts[1].startswith("<b>你好，世界</b> · (2/")


def test_a_code_block_split_over_parts_is_closed_and_reopened_with_its_language():
    code = "\n".join(f"print({i} < {i + 1})  # 第{i}行" for i in range(800))
    parts = classic(f"```python\n{code}\n```")
    assert len(parts) >= 3
    found = [re.search(r'<pre><code class="language-python">(.*?)</code></pre>', p, re.S) for p in parts]
    assert all(found) and "".join(visible(m.group(1)) for m in found if m) == code


def test_formulas_and_tags_are_never_cut():
    bold = [f"**粗体{i}**" if i % 20 == 0 else f"常体{i}" for i in range(600)]
    paragraph = "".join(f"第{i}项<b>不是标签</b>，{bold[i]}与$\\unknown{{{i}}}$相加。" for i in range(600))
    parts = classic(paragraph)
    assert len(parts) >= 3
    sources = [s for p in parts for s in re.findall(r"<code>(.*?)</code>", p)]
    assert sources == [f"\\unknown{{{i}}}" for i in range(600)]
    assert "".join(visible(p.split("\n\n", 1)[1]) for p in parts) == visible(
        re.sub(r"\$(.*?)\$", r"\1", paragraph).replace("**", "")
    )


def test_the_math_post_shows_no_dollar_delimiters():
    parts = render_classic(full_post(math_post(20_000)))
    shown = "".join(visible(re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", p, flags=re.S)) for p in parts)
    assert "$" not in shown and "\\" not in shown
