"""A whole post's Markdown body as a small block tree: what every full-post renderer reads."""

from __future__ import annotations

from bot.content.full.model import (
    BOLD,
    ITALIC,
    STRIKE,
    Block,
    Blocks,
    CodeBlock,
    Document,
    Heading,
    Image,
    ListBlock,
    MathBlock,
    Paragraph,
    Quote,
    Rule,
    Run,
    Runs,
    Table,
    iter_formulas,
    runs_text,
)
from bot.content.full.runs import visible_length
from bot.content.full.source import prepare
from bot.content.full.tree import read_blocks
from bot.content.i18n import t
from bot.content.models import FullPost
from bot.content.safe_text import strip_unsafe

__all__ = [
    "BOLD",
    "ITALIC",
    "MAX_BODY",
    "STRIKE",
    "Block",
    "Blocks",
    "CodeBlock",
    "Document",
    "Heading",
    "Image",
    "ListBlock",
    "MathBlock",
    "Paragraph",
    "Quote",
    "Rule",
    "Run",
    "Runs",
    "Table",
    "iter_formulas",
    "parse_document",
    "runs_text",
]

# Past this many characters of Markdown a post is cut at a paragraph break and the reader sent to the
# site for the rest: that is a dozen rich messages already, and it keeps a 1 MB file well under a
# second. Real posts (5-20 KB) never come near it.
MAX_BODY = 200_000
MAX_LINES = 8_000  # the same for lines: 100,000 one-word headings cost as much as a book
MAX_CELL = 1000  # characters a table cell may show before its table reads better as paragraphs
MAX_ROW = 4000
_CELL_SEPARATOR = Run("text", " | ")


def parse_document(post: FullPost) -> Document:
    """Read the post's body into blocks: no generator syntax, macros expanded, links made absolute."""
    body = strip_unsafe(post.body.replace("\r\n", "\n"))
    body, truncated = _cut(body)
    text, source = prepare(body, post.site_url, post.url)
    blocks = read_blocks(text, source, t("full_image", post.lang))
    return Document(tuple(_fit_tables(blocks)), truncated)


def _cut(body: str) -> tuple[str, bool]:
    """Cut an over-long body at a paragraph break (a line break, or anywhere, if there is none)."""
    limit = MAX_BODY
    if body.count("\n", 0, MAX_BODY) >= MAX_LINES:
        limit = len("\n".join(body.split("\n", MAX_LINES)[:MAX_LINES]))
    if len(body) <= limit:
        return body, False
    head = body[:limit]
    end = head.rfind("\n\n")
    if end < limit // 2:
        end = head.rfind("\n")
    return (head[:end] if end > limit // 2 else head), True


def _fit_tables(blocks: list[Block] | Blocks) -> list[Block]:
    """Tables with a cell or a row too long for a message read as one paragraph per row."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Table) and not _table_fits(block):
            out += [Paragraph(_joined(row, bold=index == 0)) for index, row in enumerate(_rows(block))]
        elif isinstance(block, Quote):
            out.append(Quote(tuple(_fit_tables(block.blocks))))
        elif isinstance(block, ListBlock):
            items = tuple(tuple(_fit_tables(item)) for item in block.items)
            out.append(ListBlock(block.ordered, items, block.start))
        else:
            out.append(block)
    return out


def _rows(table: Table) -> list[tuple[Runs, ...]]:
    return [table.header, *table.rows]


def _table_fits(table: Table) -> bool:
    for row in _rows(table):
        sizes = [visible_length(cell) for cell in row]
        if max(sizes, default=0) > MAX_CELL or sum(sizes) > MAX_ROW:
            return False
    return True


def _joined(row: tuple[Runs, ...], bold: bool) -> Runs:
    runs: list[Run] = []
    for index, cell in enumerate(row):
        if index:
            runs.append(_CELL_SEPARATOR)
        runs += [Run(r.kind, r.text, r.style | BOLD, r.href) if bold else r for r in cell]
    return tuple(runs)
