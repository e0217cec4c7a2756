"""render_discord: the post as Discord message contents, each within 2,000 characters."""

from __future__ import annotations

import re

import pytest

from bench.render_bench import full_post, math_post
from bot.content.full import render_discord
from tests.content.full.support import URL, post

LIMIT = 2000


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def discord(markdown: str, **changes: object) -> list[str]:
    parts = render_discord(post(markdown, **changes))
    for part in parts:
        assert utf16(part) <= LIMIT
        assert part.count("```") % 2 == 0, part  # every code fence opened is closed in the same message
    return parts


def one(markdown: str) -> str:
    parts = discord(markdown)
    assert len(parts) == 1
    return parts[0].split("\n\n", 1)[1]


def test_the_header_is_a_heading_and_a_subtext_line():
    (part,) = discord("正文。", edited=True)
    assert part == f"# 你好，世界\n-# *随笔* · 2026-11-20 · 已更新 · [原文](<{URL}>)\n\n正文。"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("a **b** *c* ~~d~~", "a **b** *c* ~~d~~"),
        ("**粗**~~删~~", "**粗**\u200b~~删~~"),
        ("`a*b` and ``x`y``", "`a*b` and `` x`y ``"),
        ("[link *x*](https://e.com/a_(b))", "[link *x*](<https://e.com/a_%28b%29>)"),
        ("## 节\n\n#### 小节", "## 节\n\n**小节**"),
        ("其中$\\alpha_t$为", "其中αₜ为"),
        ("公式$\\unknownmacro{x}$在", "公式`\\unknownmacro{x}`在"),
        ("```py\nprint('```')\n```", "```py\nprint('`\u200b``')\n```"),
        ("- a\n- b", "• a\n• b"),
        ("> 引用\n>\n> 第二段", "> 引用\n> \n> 第二段"),
        ("> ```sh\n> ls\n> ```", "> ```sh\n> ls\n> ```"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "```\na | b\n--+--\n1 | 2\n```"),
        ("![图](https://e.com/a.png)", "🖼 [图](<https://e.com/a.png>)"),
        ("2024. 年", "2024\\. 年"),
    ],
)
def test_each_construct_in_discord_markdown(markdown, expected):
    assert one(markdown) == expected


@pytest.mark.parametrize(
    "text",
    [
        "@everyone look",
        "@here too",
        "<@123456789012345678>",
        "<@&42>",
        "\\# not a heading",
        "\\> not a quote",
    ],
)
def test_text_can_neither_ping_nor_format(text):
    shown = one(f"x  \n{text}")  # a hard line break: the text starts a line of its own
    assert "@everyone" not in shown and "@here" not in shown and not re.search(r"(?<!\\)<@", shown)
    assert not re.search(r"^[#>]", shown, re.MULTILINE)


def test_a_long_post_comes_in_numbered_parts():
    parts = discord(math_post(20_000))
    assert len(parts) >= 10
    assert parts[0].startswith("# 你好，世界\n-# *随笔* · 2026-11-20 · (1/")
    assert all(part.startswith(f"-# 你好，世界 · ({n}/{len(parts)})") for n, part in enumerate(parts[1:], 2))


def test_a_code_block_split_over_messages_reopens_its_fence_and_language():
    code = "\n".join(f"echo {i}  # 第{i}行" for i in range(500))
    parts = discord(f"```bash\n{code}\n```")
    assert len(parts) >= 5
    pieces = [re.search(r"```bash\n(.*?)\n```", part, re.S) for part in parts]
    assert all(pieces)
    assert "\n".join(p.group(1).strip("\n") for p in pieces if p) == code


def test_the_math_post_shows_no_dollar_delimiters():
    parts = render_discord(full_post(math_post(20_000)))
    prose = "".join(re.sub(r"```.*?```|`[^`]*`", "", part, flags=re.S) for part in parts)
    assert "$" not in prose
