"""render_plain: the whole post as text for the console."""

from __future__ import annotations

import pytest

from bot.content.full import render_plain
from tests.content.full.support import URL, post


def plain(markdown: str, **changes: object) -> str:
    return render_plain(post(markdown, **changes)).split("\n\n", 1)[1]


def test_the_header_underlines_the_title_and_gives_the_link():
    assert render_plain(post("正文。", edited=True)) == (
        f"你好，世界\n==========\n随笔 · 2026-11-20 · 已更新\n{URL}\n\n正文。\n"
    )


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("## 小节\n\n文", "小节\n----\n\n文\n"),
        ("### Deep", "### Deep\n"),
        ("a **b** `c` [d](https://e.com)", "a b `c` d (https://e.com)\n"),
        ("其中$\\alpha_t$为", "其中αₜ为\n"),
        ("$$\\begin{pmatrix}a\\end{pmatrix}$$", "    \\begin{pmatrix}a\\end{pmatrix}\n"),
        ("```py\nif x:\n\n    y\n```", "    if x:\n\n        y\n"),
        ("- a\n    1. b", "• a\n  1. b\n"),
        ("> 引\n>\n> 文", "> 引\n>\n> 文\n"),
        ("| a | 值 |\n|---|---|\n| x | 1 |", "  a | 值\n  --+---\n  x | 1\n"),
        ("![图](https://e.com/a.png)", "[图] https://e.com/a.png\n"),
        ("a\n\n---\n\nb", "a\n\n──────────\n\nb\n"),
    ],
)
def test_each_construct_in_plain_text(markdown, expected):
    assert plain(markdown) == expected


def test_control_characters_never_reach_the_terminal():
    shown = render_plain(post("a\x1b[2Jb\u202e c\x07", title="t\x1b]0;x\x07"))
    assert not any(ord(c) < 32 and c != "\n" for c in shown) and "\u202e" not in shown
