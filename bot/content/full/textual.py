"""What the line-based renderers (Telegram HTML, Discord Markdown, plain text) have in common.

They have no lists, tables or nested quotes of their own: lists become labelled lines, tables a
monospaced grid (or one line per row when too wide), formulas readable Unicode where it can be had.
A dialect subclass says how text, code, quotes and links are written.
"""

from __future__ import annotations

from bot.content.full.layout import flatten, grid, row_runs
from bot.content.full.model import (
    BOLD,
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
    Run,
    Runs,
    Table,
)
from bot.content.full.packing import Leaf, Node, chunk
from bot.content.full.runs import pieces
from bot.content.latex import latex_to_unicode

GRID_WIDTH = 60  # wider tables read one row per line: a wrapped grid is worse than none
CODE_PIECE = 500  # code lines longer than this may be cut between messages
RULE = "──────────"


def math_text(source: str, display: bool = False) -> str | None:
    """Return a formula as readable Unicode, or None when only its LaTeX source will do."""
    return latex_to_unicode(source, display=display)


class Dialect:
    """Block layout shared by the text renderers; subclasses write the inline and code syntax."""

    separator = "\n\n"
    line = "\n"

    def __init__(self, shift: int, image_word: str) -> None:
        self.shift = shift
        self.image_word = image_word

    # --- what a dialect writes ----------------------------------------------------------------

    def leaf(self, markup: str, shown: str) -> Leaf:
        """Make a leaf of `markup` that shows `shown`."""
        raise NotImplementedError

    def text(self, text: str) -> str:
        """Escape plain text for the dialect."""
        raise NotImplementedError

    def inline(self, runs: Runs) -> list[Leaf]:
        """Render inline runs as leaves."""
        raise NotImplementedError

    def code(self, code: str, language: str) -> Node:
        """Render a code block: a chunk of lines, reopened with its language when split."""
        raise NotImplementedError

    def heading(self, runs: Runs, level: int) -> Node:
        """Render a heading; by default a bold paragraph."""
        return self.paragraph(tuple(Run(r.kind, r.text, r.style | BOLD, r.href) for r in runs))

    def quote(self, nodes: list[Node]) -> Node:
        """Render a block quote around rendered blocks."""
        raise NotImplementedError

    def image(self, image: Image) -> Node:
        """Render an image, shown as a link."""
        raise NotImplementedError

    def grid(self, lines: list[str]) -> Node:
        """Render a table as monospaced lines; the first two (header, rule) repeat when split."""
        raise NotImplementedError

    # --- layout ---------------------------------------------------------------------------------

    def blocks(self, blocks: Blocks | list[Block], quoted: bool = False, separator: str = "") -> list[Node]:
        """Render `blocks`, separated (inside a container) by `separator` leaves."""
        out: list[Node] = []
        for block in blocks:
            nodes = self.block(block, quoted)
            if nodes and out and separator:
                out.append(self.leaf(separator, separator))
            out += nodes
        return out

    def block(self, block: Block, quoted: bool) -> list[Node]:
        """Render one block (`quoted`: inside a quote, where another quote can't open)."""
        if isinstance(block, Paragraph):
            return [self.paragraph(block.runs)] if block.runs else []
        if isinstance(block, Heading):
            return [self.heading(block.runs, block.level + self.shift)] if block.runs else []
        if isinstance(block, CodeBlock):
            return [self.code(block.code, block.language)] if block.code.strip() else []
        if isinstance(block, MathBlock):
            readable = math_text(block.source, display=True)
            if readable is not None:
                return [self.leaf(self.text(readable), readable)]
            return [self.code(block.source, "latex")]
        if isinstance(block, Image):
            return [self.image(block)]
        if isinstance(block, Rule):
            return [self.leaf(self.text(RULE), RULE)]
        if isinstance(block, Quote):
            if quoted:  # no platform here nests quotes: inner ones read as marked lines
                return self.lines(flatten(block), quoted)
            inner = self.blocks(block.blocks, True, self.separator)
            return [self.quote(inner)] if inner else []
        if isinstance(block, ListBlock):
            return self.lines(flatten(block), quoted)
        return self.table(block, quoted)

    def lines(self, blocks: list[Block], quoted: bool) -> list[Node]:
        """Render blocks one per line (a flattened list), in a chunk so messages break between them."""
        nodes = self.blocks(blocks, quoted, self.line)
        return [chunk(self.leaf("", ""), nodes, self.leaf("", ""))] if nodes else []

    def paragraph(self, runs: Runs) -> Node:
        """Render a paragraph: its inline runs, split between runs if it must be."""
        return chunk(self.leaf("", ""), self.inline(runs), self.leaf("", ""))

    def table(self, table: Table, quoted: bool) -> list[Node]:
        """Render a table as a grid when it is narrow and plain, else as one line per row."""
        rows = [table.header, *table.rows]
        cells = [[self.cell_text(cell) for cell in row] for row in rows]
        if all(text is not None for row in cells for text in row):
            lines = grid([[text or "" for text in row] for row in cells])
            if max(len(line) for line in lines) <= GRID_WIDTH:
                return [self.grid(lines)]
        paragraphs: list[Block] = [Paragraph(row_runs(row, bold=i == 0)) for i, row in enumerate(rows)]
        return self.lines(paragraphs, quoted)

    def cell_text(self, runs: Runs) -> str | None:
        """Return a cell as plain grid text, or None when it holds what a grid can't show (a link)."""
        out = []
        for run in runs:
            if run.href is not None:
                return None
            if run.kind == "math":
                out.append(math_text(run.text) or run.text)
            else:
                out.append(" " if run.kind == "break" else run.text)
        return "".join(out).replace("\n", " ")

    def code_lines(self, code: str, escape: bool = True) -> list[Leaf]:
        """Render a code block's lines as leaves (long ones in pieces), all but the last with a newline."""
        lines = code.split("\n")
        leaves = []
        for number, line in enumerate(lines):
            text = line + ("\n" if number < len(lines) - 1 else "")
            for piece in pieces(text, CODE_PIECE) if len(text) > CODE_PIECE else [text]:
                leaves.append(self.leaf(self.text(piece) if escape else piece, piece))
        return leaves
