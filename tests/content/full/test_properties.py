"""Property tests: whatever a post holds, every part fits its platform and nothing is cut or lost.

Posts are generated from CJK prose, inline and display formulas, code blocks with languages,
tables up to 25 columns, lists and quotes nested up to 20 deep, images and links, and huge posts
up to ~100,000 characters. Rich parts are judged by a small html.parser checker written here and by
the fake Bot API's independent validator; classic parts by the fake's strict HTML parser.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import UTC
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.full import classic as classic_module
from bot.content.full import markdown_parts as discord_module
from bot.content.full import measure_rich, parse_document
from bot.content.full import plain as plain_module
from bot.content.full import rich as rich_module
from bot.content.full import source as source_module
from bot.content.full.facts import facts
from bot.content.full.model import Block, CodeBlock, ListBlock, Quote
from bot.content.full.rich import BUDGET
from tests.content.full.support import check_rich, post, visible
from tests.fakes.telegram_html import check_message_text
from tests.fakes.telegram_rich import check_rich_html

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
MARKERS = re.compile("[\ue000-\ue005]")
PRE = re.compile(r"<pre>(?:<code[^>]*>)?(.*?)(?:</code>)?</pre>", re.S)

# --- strategies ------------------------------------------------------------------------------------------

CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=30)
LATIN = st.text(st.sampled_from("abcdefghij XYZ0123456789,.;"), min_size=1, max_size=20)
ODD = st.sampled_from(
    ["<", ">", "&", "&amp;", "<b>x</b>", "@everyone", "<@1234>", "\\", "😀", "👨\u200d👩\u200d👧", "#", "- ",
     "{{", "}}", "%}", "[", "]", "|", "~", "$5 and $10", "\u202e", "\ue000"]
)  # fmt: skip
FORMULA = st.sampled_from(
    [r"\alpha", "x^2", r"\frac{a}{b}", r"\sum_{i=1}^{n} x_i", "a<b", r"\mathbb{E}[x]", r"\|x\|_2",
     r"\begin{pmatrix}a&b\\c&d\end{pmatrix}", r"\sqrt{1-\bar\alpha_t}", r"p(x|y)", r"\text{损失}=L",
     r"e^{i\pi}+1=0", r"\hat{y}", r"\int_0^1 f(x)\,dx"]
)  # fmt: skip
WORD = st.one_of(
    CJK,
    CJK,
    LATIN,
    ODD,
    FORMULA.map(lambda f: f"${f}$"),
    CJK.map(lambda t: f"**{t}**"),
    CJK.map(lambda t: f"*{t}*"),
    CJK.map(lambda t: f"~~{t}~~"),
    LATIN.map(lambda t: f"`{t}<&>`"),
    CJK.map(lambda t: f"[{t}](https://example.com/{len(t)})"),
    CJK.map(lambda t: f"[{t}](javascript:alert(1))"),
)
PARAGRAPH = st.lists(WORD, min_size=1, max_size=15).map("".join)
LANGUAGE = st.sampled_from(["python", "", "c++", "bash", "latex"])
CODE_LINE = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x9FA5, exclude_characters="`"), max_size=60
)
CODE = st.tuples(LANGUAGE, st.lists(CODE_LINE, min_size=1, max_size=30)).map(
    lambda pair: f"```{pair[0]}\n" + "\n".join(pair[1]) + "\n```"
)
DISPLAY = FORMULA.map(lambda f: f"$$\n{f}\n$$")
CELL = st.one_of(CJK, LATIN, FORMULA.map(lambda f: f"${f}$"), CJK.map(lambda t: f"**{t}**"))
IMAGE = st.tuples(
    CJK, st.sampled_from(["/img/a.png", "b.jpg", "https://cdn.example.org/c.png", "data:x"])
).map(lambda pair: f"![{pair[0]}]({pair[1]})")


@st.composite
def tables(draw: st.DrawFn) -> str:
    columns = draw(st.integers(1, 25))
    rows = draw(st.integers(0, 12))
    cells = [[draw(CELL) for _ in range(columns)] for _ in range(rows + 1)]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "---|" * columns)
    return "\n".join(lines)


@st.composite
def nested(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 20))
    kinds = draw(st.lists(st.sampled_from(["ul", "ol", "quote"]), min_size=depth, max_size=depth))
    lines = []
    for level, kind in enumerate(kinds):
        text = draw(st.lists(WORD, min_size=1, max_size=4).map("".join))
        if kind == "quote":
            lines.append(">" * (level + 1) + " " + text)
        else:
            lines.append("    " * level + ("- " if kind == "ul" else "1. ") + text)
    return "\n".join(lines)


BLOCK = st.one_of(
    PARAGRAPH,
    PARAGRAPH,
    DISPLAY,
    CODE,
    tables(),
    nested(),
    IMAGE,
    CJK.map(lambda t: f"## {t}"),
    st.just("---"),
)
BODY = st.lists(BLOCK, min_size=1, max_size=12).map("\n\n".join)


@st.composite
def huge_bodies(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(BLOCK, min_size=1, max_size=6))
    size = draw(st.integers(20_000, 100_000))
    unit = "\n\n".join(blocks)
    return "\n\n".join([unit] * max(1, size // max(len(unit), 1)))


# --- checks ----------------------------------------------------------------------------------------------


def code_blocks(blocks: tuple[Block, ...]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, CodeBlock) and block.code.strip():
            out.append(block.code)
        elif isinstance(block, Quote):
            out += code_blocks(block.blocks)
        elif isinstance(block, ListBlock):
            for item in block.items:
                out += code_blocks(item)
    return out


def check_all(body: str) -> None:
    full = post(body)
    document = parse_document(full)  # parsed once: render_* (FullPost) are parse_document + these
    about = facts(full, UTC)
    rich = rich_module.render_document(document, about)
    formulas: list[str] = []
    for part in rich:
        formulas += check_rich(part)
        check_rich_html(part)
        size = measure_rich(part)
        assert (
            size.fits() and size.chars <= BUDGET[0] and size.blocks <= BUDGET[1] and size.media <= BUDGET[2]
        )
        assert not MARKERS.search(part)
    # No formula is cut or lost (a table wider than 20 columns is shown column group by column group).
    assert Counter(formulas) == Counter(document.formulas())
    # No code block is cut when a message can hold it; split ones come back whole when joined.
    pres = [
        html.unescape(m)
        for part in rich
        for m in re.findall(r"<pre>(?:<code[^>]*>)?(.*?)(?:</code>)?</pre>", part, re.S)
    ]
    assert "".join(pres) == "".join(code_blocks(document.blocks))
    for code in code_blocks(document.blocks):
        if len(code) < BUDGET[0] // 2:
            assert any(html.escape(code, quote=False) in part for part in rich)

    for part in classic_module.render_document(document, about):
        check_message_text(part)
        assert len(visible(part)) <= 4096 and not MARKERS.search(part)
    for part in discord_module.render_document(document, about):
        assert len(part.encode("utf-16-le")) // 2 <= 2000 and part.count("```") % 2 == 0
        assert not MARKERS.search(part)
    assert not MARKERS.search(plain_module.render_document(document, about))


@PROPERTY
@given(BODY)
def test_any_post_fits_every_platform_and_loses_nothing(body: str) -> None:
    check_all(body)


@settings(PROPERTY, max_examples=5)
@given(huge_bodies())
def test_huge_posts_split_into_parts_that_each_fit(body: str) -> None:
    check_all(body)


@settings(PROPERTY, max_examples=100)
@given(st.lists(st.one_of(PARAGRAPH, DISPLAY, CODE, nested(), CJK.map(lambda t: f"## {t}")), max_size=8))
def test_plain_paragraphs_read_without_markdown_read_as_markdown_reads_them(blocks: list[str]) -> None:
    body = "\n\n".join(blocks)
    fast = parse_document(post(body))
    with patch.object(source_module, "shortcut_paragraphs", lambda text, source: text):
        slow = parse_document(post(body))
    assert fast == slow
