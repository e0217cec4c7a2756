"""Layout decisions every full-post renderer shares: heading levels, flattening, wide tables, grids."""

from __future__ import annotations

from collections.abc import Iterator

from bot.content.full.model import (
    BOLD,
    Block,
    Blocks,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
    Run,
    Runs,
    Table,
)
from bot.content.full.runs import is_wide

QUOTE_MARK = "│ "
BULLET = "• "
INDENT = "  "


def heading_shift(blocks: Blocks) -> int:
    """Return how far to push headings down so none is as big as the title above them (0 or 1)."""
    return 1 if any(level == 1 for level in _heading_levels(blocks)) else 0


def _heading_levels(blocks: Blocks) -> Iterator[int]:
    for block in blocks:
        if isinstance(block, Heading):
            yield block.level
        elif isinstance(block, Quote):
            yield from _heading_levels(block.blocks)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from _heading_levels(item)


def item_marker(block: ListBlock, index: int) -> str:
    """Return the label of a list's item `index` (0-based): a bullet or its number."""
    return f"{block.start + index}. " if block.ordered else BULLET


def flatten(block: Block, prefix: str = "") -> list[Block]:
    """Turn a list, quote or table into plain paragraphs (labels and quote marks as text).

    For nesting too deep to show. Paragraphs get `prefix` in front; code, formulas and images
    stay as they are.
    """
    if isinstance(block, Quote):
        return [out for inner in block.blocks for out in flatten(inner, prefix + QUOTE_MARK)]
    if isinstance(block, ListBlock):
        out: list[Block] = []
        for index, item in enumerate(block.items):
            marker = item_marker(block, index)
            for position, inner in enumerate(item or (Paragraph(()),)):
                lead = prefix + (marker if position == 0 else INDENT)
                if position == 0 and not isinstance(inner, Paragraph):
                    out.append(Paragraph((Run("text", lead.rstrip()),)))
                    lead = prefix + INDENT
                out += flatten(inner, lead)
        return out
    if isinstance(block, Table):
        rows = [block.header, *block.rows]
        return [Paragraph(_prefixed(prefix, row_runs(row, bold=i == 0))) for i, row in enumerate(rows)]
    if isinstance(block, Paragraph):
        return [Paragraph(_prefixed(prefix, block.runs))]
    if isinstance(block, Heading) and prefix:
        return [Paragraph(_prefixed(prefix, tuple(_bold(run) for run in block.runs)))]
    return [block]


def _prefixed(prefix: str, runs: Runs) -> Runs:
    return ((Run("text", prefix),) if prefix else ()) + runs


def _bold(run: Run) -> Run:
    return Run(run.kind, run.text, run.style | BOLD, run.href)


def row_runs(row: tuple[Runs, ...], bold: bool = False) -> Runs:
    """Join a table row into one line of runs, cells separated by ` | `."""
    runs: list[Run] = []
    for index, cell in enumerate(row):
        if index:
            runs.append(Run("text", " | "))
        runs += [_bold(run) for run in cell] if bold else cell
    return tuple(runs)


def column_groups(table: Table, width: int) -> list[Table]:
    """Cut a table wider than `width` columns into tables of at most `width` columns each."""
    columns = len(table.header)
    if columns <= width:
        return [table]
    count = -(-columns // width)
    size = -(-columns // count)  # balanced: 25 columns make 13 + 12, not 20 + 5
    out = []
    for start in range(0, columns, size):
        cut = slice(start, start + size)
        out.append(Table(table.header[cut], tuple(row[cut] for row in table.rows)))
    return out


def display_width(text: str) -> int:
    """Return the columns `text` takes in a monospaced grid: CJK characters take two."""
    return sum(2 if is_wide(char) else 1 for char in text) if not text.isascii() else len(text)


def grid(rows: list[list[str]]) -> list[str]:
    """Lay out rows of plain cells as aligned text lines, a rule under the first (header) row."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)]
        lines.append(" | ".join(cells).rstrip())
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return lines
