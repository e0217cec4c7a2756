"""A whole post as Discord message contents (Discord Markdown), each within 2,000 characters.

Headings `#`/`##`/`###`, fenced code with its language (closed and reopened when split), lists as
labelled lines, quotes `> `, tables as code-block grids, links `[text](<url>)`, images as links,
formulas Unicode or `` `source` ``. Text is escaped so it shows as written, and `@everyone`,
`@here` and `<@id>` mentions can't ping (the sender also passes `allowed_mentions` none).
"""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from itertools import groupby

from bot.content.full.document import Document, parse_document
from bot.content.full.facts import Facts, facts
from bot.content.full.layout import heading_shift
from bot.content.full.model import BOLD, ITALIC, STRIKE, Image, Run, Runs
from bot.content.full.packing import Leaf, Node, Size, add, chunk, flat, pack
from bot.content.full.rich_measure import units
from bot.content.full.runs import pieces
from bot.content.full.textual import Dialect, math_text
from bot.content.i18n import t
from bot.content.models import FullPost
from bot.content.render.discord import escape_markdown

MAX_CONTENT = 2000  # Discord's limit on a message's content
BUDGET: Size = (MAX_CONTENT - 10,)  # counted in UTF-16 units, as Discord's clients count
_STYLES = ((STRIKE, "~~"), (BOLD, "**"), (ITALIC, "*"))
_FENCE = "```"
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,30}")
_LIST_START = re.compile(r"(\d{1,9})\.(?=\s)")  # `2024. ` at a line start would become a list item
_WIDEST = 999
_ZWSP = "\u200b"  # keeps `**a**` and `*b*` from running together into `**a***b*`


def _url(url: str) -> str:
    # Parentheses would end the Markdown link early; percent-encoding keeps the URL the same.
    return url.replace("(", "%28").replace(")", "%29")


def _code_span(text: str) -> str:
    text = " ".join(text.split()) or " "
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text.replace('``', '`' + _ZWSP + '`')} ``"


class _Discord(Dialect):
    def leaf(self, markup: str, shown: str) -> Leaf:
        return Leaf(markup, (units(markup),))

    def text(self, text: str) -> str:
        return escape_markdown(text)

    def inline(self, runs: Runs) -> list[Leaf]:
        leaves: list[Leaf] = []
        styled = False
        for href, group in groupby(runs, key=lambda run: run.href):
            pieces = [piece for run in group for piece in self.run(run)]
            if href is not None:  # one link for the whole run of text that links there
                pieces = [(f"[{''.join(text for text, _ in pieces)}](<{_url(href)}>)", True)]
            for markup, formatted in pieces:
                if formatted and styled:
                    markup = _ZWSP + markup
                styled = formatted
                leaves.append(self.leaf(markup, markup))
        if leaves and leaves[0].text[:1].isdigit():
            leaves[0] = self.leaf(_LIST_START.sub(r"\1\\.", leaves[0].text, count=1), "")
        return leaves

    def run(self, run: Run) -> list[tuple[str, bool]]:
        """Markup pieces for a run (its link aside), each with whether it is wrapped in formatting."""
        if run.kind == "break":
            return [("\n", False)]
        if run.kind == "math" and (readable := math_text(run.text)) is not None:
            run = Run("text", readable, run.style)
        if run.kind in ("math", "code"):
            return [(_wrap(_code_span(run.text), run.style), True)]
        return [(_wrap(escape_markdown(p), run.style), bool(run.style)) for p in pieces(run.text)]

    def code(self, code: str, language: str) -> Node:
        language = language if _LANGUAGE.fullmatch(language) else ""
        # A fence inside the code would end the block early.
        lines = self.code_lines(code.replace(_FENCE, "`" + _ZWSP + "``"), escape=False)
        opening = self.leaf(f"{_FENCE}{language}\n", "")
        return chunk(opening, lines, self.leaf(f"\n{_FENCE}", ""))

    def heading(self, runs: Runs, level: int) -> Node:
        flat_runs = tuple(Run("text", " ") if run.kind == "break" else run for run in runs)
        if level > 3:
            return super().heading(flat_runs, level)
        return chunk(self.leaf("#" * max(level, 2) + " ", ""), self.inline(flat_runs), self.leaf("", ""))

    def quote(self, nodes: list[Node]) -> Node:
        return chunk(self.leaf("> ", ""), [_quoted(node) for node in nodes], self.leaf("", ""))

    def image(self, image: Image) -> Node:
        alt = escape_markdown(image.alt or self.image_word)
        return self.leaf(f"🖼 [{alt}](<{_url(image.url)}>)", "")

    def grid(self, lines: list[str]) -> Node:
        safe = [line.replace(_FENCE, "`" + _ZWSP + "``") for line in lines]
        head = f"{_FENCE}\n{safe[0]}\n{safe[1]}\n"
        rows = [self.leaf(line + "\n", "") for line in safe[2:]]
        return chunk(self.leaf(head, ""), rows, self.leaf(_FENCE, ""))


def _wrap(inner: str, style: int) -> str:
    for flag, mark in reversed(_STYLES):
        if style & flag:
            inner = f"{mark}{inner}{mark}"
    return inner


def _quoted(node: Node) -> Node:
    """Mark every line the node starts as quoted."""
    if isinstance(node, Leaf):
        return _quoted_leaf(node)
    return chunk(_quoted_leaf(node.open), [_quoted(item) for item in node.items], _quoted_leaf(node.close))


def _quoted_leaf(leaf: Leaf) -> Leaf:
    text = leaf.text.replace("\n", "\n> ")
    return Leaf(text, (units(text),))


def render_discord(post: FullPost, zone: tzinfo = UTC) -> list[str]:
    """Render the post as Discord message contents, in order."""
    return render_document(parse_document(post), facts(post, zone))


def render_document(document: Document, about: Facts) -> list[str]:
    """Render a parsed post under its header facts."""
    dialect = _Discord(heading_shift(document.blocks), t("full_image", about.lang))
    nodes = dialect.blocks(document.blocks)
    if document.truncated:
        nodes.append(_truncation(dialect, about))
    separator = dialect.leaf("\n\n", "")
    single = _header(dialect, about, 1, 1)
    spacing = [separator.size] * max(len(nodes) - 1, 0)
    if _fits(add(single.size, *spacing, *(node.size for node in nodes))):
        return [(single.text + "\n\n".join(flat(node) for node in nodes)).rstrip()]
    widest = [_header(dialect, about, 1, _WIDEST).size, _header(dialect, about, _WIDEST, _WIDEST).size]
    bodies = pack(nodes, BUDGET, tuple(max(s) for s in zip(*widest, strict=True)), separator)
    if len(bodies) == 1:
        return [(single.text + bodies[0]).rstrip()]
    headers = [_header(dialect, about, n, len(bodies)).text for n in range(1, len(bodies) + 1)]
    return [(header + body).rstrip() for header, body in zip(headers, bodies, strict=True)]


def _fits(size: Size) -> bool:
    return all(value <= limit for value, limit in zip(size, BUDGET, strict=True))


def _header(dialect: _Discord, about: Facts, number: int, parts: int) -> Leaf:
    """`# Title` and a subtext line (category · date · edited · (1/n) · link); later parts: subtext."""
    title = escape_markdown(about.title)
    if number > 1:
        return dialect.leaf(f"-# {title} · {about.part(number, parts)}\n\n", "")
    words = [f"*{escape_markdown(about.category)}*"] if about.category else []
    words += [about.date, *([about.edited] if about.edited else [])]
    words += [about.part(1, parts)] if parts > 1 else []
    if about.url:
        words.append(f"[{escape_markdown(t('full_original', about.lang))}](<{_url(about.url)}>)")
    return dialect.leaf(f"# {title}\n-# {' · '.join(words)}\n\n", "")


def _truncation(dialect: _Discord, about: Facts) -> Node:
    if about.url is None:
        return dialect.leaf(f"*{escape_markdown(t('full_truncated_here', about.lang))}*", "")
    note, word = escape_markdown(t("full_truncated", about.lang)), t("full_original", about.lang)
    return dialect.leaf(f"*{note}* [{escape_markdown(word)}](<{_url(about.url)}>)", "")
