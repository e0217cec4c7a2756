"""The block tree of a whole post: what every full-post renderer reads, whatever the platform."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

# Inline styles, combined as bit flags on a run.
BOLD = 1
ITALIC = 2
STRIKE = 4

RunKind = Literal["text", "code", "math", "break"]


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of inline content: text, inline code, an inline formula (LaTeX source) or a line break."""

    kind: RunKind
    text: str = ""
    style: int = 0
    href: str | None = None  # an absolute http(s) URL: the run is (part of) a link


Runs = tuple[Run, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    """A section heading, level 1-6 as the author wrote it."""

    level: int
    runs: Runs


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of inline runs."""

    runs: Runs


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A code block: its text (lines joined by newlines) and its language ("" when unknown)."""

    code: str
    language: str = ""


@dataclass(frozen=True, slots=True)
class MathBlock:
    """A display formula: LaTeX source, the post's macros expanded, labels and tags dropped."""

    source: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image with an absolute http(s) URL and its alt text."""

    url: str
    alt: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """A thematic break."""


@dataclass(frozen=True, slots=True)
class Quote:
    """A block quote holding blocks."""

    blocks: Blocks


@dataclass(frozen=True, slots=True)
class ListBlock:
    """An ordered or unordered list; each item holds blocks."""

    ordered: bool
    items: tuple[Blocks, ...]
    start: int = 1


@dataclass(frozen=True, slots=True)
class Table:
    """A table: a header row and body rows, each a tuple of cells of inline runs (all rows as wide)."""

    header: tuple[Runs, ...]
    rows: tuple[tuple[Runs, ...], ...]


Block = Heading | Paragraph | CodeBlock | MathBlock | Image | Rule | Quote | ListBlock | Table
Blocks = tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """A post's body as blocks; `truncated` when the body was longer than a chat reader is sent."""

    blocks: Blocks
    truncated: bool = False

    def formulas(self) -> list[str]:
        """Return every formula's LaTeX source, inline and display, in reading order."""
        return [source for source, _display in iter_formulas(self.blocks)]


def iter_formulas(blocks: Blocks) -> Iterator[tuple[str, bool]]:
    """Yield (source, display) for every formula in `blocks`, in reading order."""
    for block in blocks:
        if isinstance(block, MathBlock):
            yield block.source, True
        elif isinstance(block, Heading | Paragraph):
            yield from _run_formulas(block.runs)
        elif isinstance(block, Quote):
            yield from iter_formulas(block.blocks)
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from iter_formulas(item)
        elif isinstance(block, Table):
            for row in (block.header, *block.rows):
                for cell in row:
                    yield from _run_formulas(cell)


def _run_formulas(runs: Runs) -> Iterator[tuple[str, bool]]:
    for run in runs:
        if run.kind == "math":
            yield run.text, False


def runs_text(runs: Runs) -> str:
    """Return the runs as plain text: formulas as their source, line breaks as newlines."""
    return "".join("\n" if run.kind == "break" else run.text for run in runs)
