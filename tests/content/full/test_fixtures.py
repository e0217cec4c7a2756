"""Real inputs: every fixture blog's posts and the real blog's excerpts, on all four renderers.

No generator syntax survives, formulas reach rich messages as <tg-math> and every other platform
as readable text (no `$…$`, `\\(…\\)` left outside code), and every part passes its platform's rules.
"""

from __future__ import annotations

import re

import pytest

from bot.content.full import parse_document, render_classic, render_discord, render_plain, render_rich
from bot.content.math_spans import find_formulas
from bot.content.models import FullPost
from tests.content.full.support import (
    FIXTURES,
    check_rich,
    fixture_paths,
    fixture_post,
    post,
    seed_bodies,
    visible,
)
from tests.fakes.telegram_html import check_message_text
from tests.fakes.telegram_rich import check_rich_html

# What static-site generators write that a reader must never see.
GENERATOR_SYNTAX = re.compile(
    r"\{\{[<%]|[>%]\}\}|\{%|%\}|\{\{|\}\}|\{/\*|\*/\}|^:::|^!!!|^=== [\"']|\{:|\[\^|<!--|-->|\[TOC\]"
    r"|^import |^export ",
    re.MULTILINE,
)
SEEDS = seed_bodies()


def cases() -> list[tuple[str, FullPost]]:
    found = [(path.relative_to(FIXTURES).as_posix(), fixture_post(path)) for path in fixture_paths()]
    found += [(f"seed-{number}", post(body)) for number, body in enumerate(SEEDS)]
    return found


CASES = cases()


def without_html_code(part: str) -> str:
    return visible(
        re.sub(r"<pre>.*?</pre>|<code[^>]*>.*?</code>|<tg-math>.*?</tg-math>", " ", part, flags=re.S)
    )


def without_markdown_code(part: str) -> str:
    return re.sub(r"```.*?```|`[^`\n]*`", " ", part, flags=re.S)


def without_indented_code(text: str) -> str:
    lines = "\n".join(line for line in text.split("\n") if not line.startswith("    "))
    return re.sub(r"`[^`\n]*`", " ", lines)


def test_there_are_real_inputs():
    assert len(CASES) >= 60
    assert sum(name.startswith("seed-") for name, _ in CASES) >= 40 or not SEEDS


@pytest.mark.parametrize(("name", "full"), CASES, ids=[name for name, _ in CASES])
def test_every_post_renders_on_every_platform(name: str, full: FullPost):
    document = parse_document(full)
    formulas: list[str] = []
    for part in render_rich(full):
        formulas += check_rich(part)
        check_rich_html(part)
        prose = visible(
            re.sub(
                r"<pre>.*?</pre>|<code[^>]*>.*?</code>|<tg-math(-block)?>.*?</tg-math(-block)?>",
                " ",
                part,
                flags=re.S,
            )
        )
        assert not GENERATOR_SYNTAX.search(prose), prose
        assert find_formulas(prose) == [], prose
    assert formulas == document.formulas()

    classic = render_classic(full)
    discord = render_discord(full)
    plain = render_plain(full)
    for part in classic:
        check_message_text(part)
    assert all(len(part) <= 2000 for part in discord)
    for prose in (
        *(without_html_code(part) for part in classic),
        *(without_markdown_code(part) for part in discord),
        without_indented_code(plain),
    ):
        assert not GENERATOR_SYNTAX.search(prose), prose
        assert find_formulas(prose.replace("\\", "")) == [], prose  # Discord escapes: `\$` is `$`


def test_math_fixtures_reach_rich_messages_as_formulas():
    for path in sorted((FIXTURES / "mathblog" / "posts").glob("*.md")):
        full = fixture_post(path)
        if parse_document(full).formulas():
            assert "<tg-math" in "".join(render_rich(full)), path


def test_a_macro_post_shows_its_macro_expanded_everywhere():
    full = fixture_post(FIXTURES / "mathblog" / "posts" / "relu-macro.md")
    rich = "".join(render_rich(full))
    assert "\\relu" not in rich and "\\newcommand" not in rich and rich.count("\\mathop{\\text{relu}}") >= 5
    assert "\\relu" not in render_plain(full) and "\\relu" not in "".join(render_discord(full))


def test_the_seeds_formulas_in_brackets_become_formulas():
    bodies = [body for body in SEEDS if "\\[" in body or "\\(" in body]
    if not bodies:
        pytest.skip("no seed with \\( or \\[ formulas")
    for body in bodies:
        assert parse_document(post(body)).formulas()


def test_an_mdx_post_keeps_its_prose_and_loses_its_components():
    full = fixture_post(FIXTURES / "docusaurus" / "blog" / "2021-08-01-mdx-blog-post.mdx")
    plain = render_plain(full)
    assert "like this highlighted phrase." in plain and "Run `npm install` first." in plain
    assert "Tabs" not in plain and "TabItem" not in plain and "@theme" not in plain and "export" not in plain
