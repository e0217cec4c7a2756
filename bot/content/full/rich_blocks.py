"""Blocks as Telegram Rich HTML nodes: only the tags rich messages take, sized as Telegram counts.

Sizes are (characters, blocks, media). Nesting depth is kept within the limit here, where the
structure is known: containers deeper than `CONTAINER_DEPTH` read flattened, and inline styles
give way to the link and the formula when a run sits too deep for all of them.
"""

from __future__ import annotations

import html
from functools import lru_cache

from bot.content.full.layout import column_groups, flatten
from bot.content.full.model import (
    BOLD,
    ITALIC,
    STRIKE,
    Block,
    Blocks,
    CodeBlock,
    Heading,
    Image,
    ListBlock,
    MathBlock,
    Paragraph,
    Quote,
    Rule,
    Runs,
    Table,
)
from bot.content.full.packing import Chunk, Leaf, Node, Size, add, chunk
from bot.content.full.rich_measure import MAX_COLUMNS, MAX_DEPTH, units
from bot.content.full.runs import pieces

CONTAINER_DEPTH = 10  # a list, quote or table opening deeper than this reads flattened
CODE_PIECE = 1000  # a code line longer than this may be cut between messages
NONE: Size = (0, 0, 0)
BLOCK: Size = (0, 1, 0)
_STYLE_TAGS = ((BOLD, "b"), (ITALIC, "i"), (STRIKE, "s"))


def escape(text: str) -> str:
    """Escape text for rich HTML: only &, < and >."""
    return html.escape(text, quote=False)


def attribute(value: str) -> str:
    """Escape an attribute value (quotes included)."""
    return html.escape(value, quote=True)


def text_leaf(markup: str, text: str, blocks: int = 0, media: int = 0) -> Leaf:
    """Make a leaf of `markup` showing `text`."""
    return Leaf(markup, (units(text), blocks, media))


class RichBlocks:
    """Render blocks to nodes; `budget` decides when an ordered list must read flattened."""

    def __init__(self, shift: int, budget: Size) -> None:
        self.shift = shift
        self.budget = budget

    def blocks(self, blocks: Blocks | list[Block], depth: int) -> list[Node]:
        """Nodes for `blocks` opening at `depth` (1 = top level)."""
        return [node for block in blocks for node in self.block(block, depth)]

    def block(self, block: Block, depth: int) -> list[Node]:
        """Render one block opening at `depth`."""
        if isinstance(block, Paragraph):
            return [self.inline_block("p", block.runs, depth)] if block.runs else []
        if isinstance(block, Heading):
            tag = f"h{min(6, block.level + self.shift)}"
            return [self.inline_block(tag, block.runs, depth)] if block.runs else []
        if isinstance(block, CodeBlock):
            return [self.code(block)] if block.code.strip() else []
        if isinstance(block, MathBlock):
            source = escape(block.source)
            return [text_leaf(f"<tg-math-block>{source}</tg-math-block>", block.source, blocks=1)]
        if isinstance(block, Image):
            alt = f' alt="{attribute(block.alt)}"' if block.alt else ""
            return [text_leaf(f'<img src="{attribute(block.url)}"{alt}/>', block.alt, blocks=1, media=1)]
        if isinstance(block, Rule):
            return [Leaf("<hr/>", BLOCK)]
        if depth > CONTAINER_DEPTH or (isinstance(block, ListBlock) and block.ordered and block.start != 1):
            # Too deep for Telegram, or numbered from elsewhere than 1 (an <ol> can't say where).
            return self.blocks(flatten(block), depth)
        if isinstance(block, Quote):
            inner = self.blocks(block.blocks, depth + 1)
            return [chunk(Leaf("<blockquote>", BLOCK), inner, Leaf("</blockquote>", NONE))] if inner else []
        if isinstance(block, ListBlock):
            return self.listing(block, depth)
        return [node for part in column_groups(block, MAX_COLUMNS) for node in self.table(part, depth)]

    def inline_block(self, tag: str, runs: Runs, depth: int) -> Chunk:
        """Render a paragraph or a heading: `tag` around inline runs."""
        return chunk(Leaf(f"<{tag}>", BLOCK), inline(runs, depth + 1), Leaf(f"</{tag}>", NONE))

    def code(self, block: CodeBlock) -> Chunk:
        """Render a code block, its lines the items a split may fall between."""
        language = f' class="language-{attribute(block.language)}"' if block.language else ""
        opening, closing = (f"<pre><code{language}>", "</code></pre>") if language else ("<pre>", "</pre>")
        lines = block.code.split("\n")
        items: list[Node] = []
        for number, line in enumerate(lines):
            ending = "\n" if number < len(lines) - 1 else ""
            cut = pieces(line + ending, CODE_PIECE) if len(line) > CODE_PIECE else [line + ending]
            items += [text_leaf(escape(piece), piece) for piece in cut]
        return chunk(Leaf(opening, BLOCK), items, Leaf(closing, NONE))

    def listing(self, block: ListBlock, depth: int) -> list[Node]:
        """Render a list; an ordered one too big for a message reads as numbered paragraphs."""
        tag = "ol" if block.ordered else "ul"
        items = [self.item(item, depth + 1) for item in block.items]
        node = chunk(Leaf(f"<{tag}>", BLOCK), items, Leaf(f"</{tag}>", NONE))
        if block.ordered and any(a > b for a, b in zip(node.size, self.budget, strict=True)):
            # Split over messages, the second <ol> would count from 1 again: numbers as text instead.
            return self.blocks(flatten(block), depth)
        return [node]

    def item(self, blocks: Blocks, depth: int) -> Chunk:
        """Render a list item: its first paragraph as the item's own text, further blocks inside it."""
        items: list[Node] = []
        rest = blocks
        if blocks and isinstance(blocks[0], Paragraph):
            items += inline(blocks[0].runs, depth + 1)
            rest = blocks[1:]
        items += self.blocks(rest, depth + 1)
        return chunk(Leaf("<li>", BLOCK), items, Leaf("</li>", NONE))

    def table(self, table: Table, depth: int) -> list[Node]:
        """Render a table; its header row comes back in every message it is split over."""
        header = self.row(table.header, "th", depth + 1)
        rows = [self.row(row, "td", depth + 1) for row in table.rows]
        opening = Leaf("<table>" + header.text, add(BLOCK, header.size))
        return [chunk(opening, rows, Leaf("</table>", NONE))]

    def row(self, cells: tuple[Runs, ...], tag: str, depth: int) -> Leaf:
        """Render a table row: never split."""
        markup = ["<tr>"]
        size = BLOCK
        for cell in cells:
            leaves = inline(cell, depth + 2)
            markup += [f"<{tag}>", *(leaf.text for leaf in leaves), f"</{tag}>"]
            size = add(size, *(leaf.size for leaf in leaves))
        markup.append("</tr>")
        return Leaf("".join(markup), size)


def inline(runs: Runs, depth: int) -> list[Leaf]:
    """Leaves for inline runs whose outermost tag opens at `depth`; long text comes in pieces."""
    leaves: list[Leaf] = []
    for run in runs:
        if run.kind == "break":
            leaves.append(Leaf("<br/>", (1, 0, 0)))
            continue
        opening, closing = _tags(run.kind, run.style, run.href, MAX_DEPTH - depth + 1)
        texts = [run.text] if run.kind == "math" else pieces(run.text)
        leaves += [text_leaf(opening + escape(text) + closing, text) for text in texts]
    return leaves


@lru_cache(maxsize=1024)  # a post has few distinct (kind, style, link, depth): most runs are plain
def _tags(kind: str, style: int, href: str | None, room: int) -> tuple[str, str]:
    """Return a run's opening and closing tags, at most `room` of them (the formula tag kept first)."""
    names = [f'a href="{attribute(href)}"'] if href else []
    names += [tag for flag, tag in _STYLE_TAGS if style & flag]
    content = {"code": "code", "math": "tg-math"}.get(kind)
    if kind == "math":
        names = [*names[: max(room - 1, 0)], "tg-math"]
    else:
        names = [*names, *([content] if content else [])][: max(room, 0)]
    opening = "".join(f"<{name}>" for name in names)
    closing = "".join(f"</{name.split(' ', 1)[0]}>" for name in reversed(names))
    return opening, closing
