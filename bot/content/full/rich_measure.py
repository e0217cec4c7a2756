"""Measure a Telegram rich message's HTML against the limits, reading it back as Telegram would."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

# Bot API 10.1 rich message limits (platform-facts.md A9).
MAX_CHARS = 32_768
MAX_BLOCKS = 500
MAX_DEPTH = 16
MAX_MEDIA = 50
MAX_COLUMNS = 20

# Every block counts, nested ones too, list items and table rows included; cells do not.
COUNTED = frozenset(
    {"p", "pre", "blockquote", "aside", "ul", "ol", "li", "table", "tr", "hr", "img", "footer",
     "tg-math-block", "details", *(f"h{n}" for n in range(1, 7))}
)  # fmt: skip
VOID = frozenset({"br", "hr", "img"})


def units(text: str) -> int:
    """Characters as Telegram may count them: UTF-16 code units, so an emoji can count as two."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class RichSize:
    """What a rich message spends of each limit.

    `chars` counts text (formula sources included) and alt texts in UTF-16 units; `depth` is the
    deepest element's nesting, inline elements included (a top-level block is at depth 1).
    """

    chars: int
    blocks: int
    depth: int
    media: int
    columns: int

    def fits(self) -> bool:
        """Whether every limit holds."""
        return (
            self.chars <= MAX_CHARS
            and self.blocks <= MAX_BLOCKS
            and self.depth <= MAX_DEPTH
            and self.media <= MAX_MEDIA
            and self.columns <= MAX_COLUMNS
        )


class _Measure(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.cells: list[int] = []
        self.chars = self.blocks = self.depth = self.media = self.columns = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth = max(self.depth, len(self.stack) + 1)
        self.blocks += tag in COUNTED
        if tag == "img":
            self.media += 1
            self.chars += sum(units(value or "") for name, value in attrs if name == "alt")
        elif tag == "br":
            self.chars += 1
        elif tag == "tr":
            self.cells.append(0)
        elif tag in ("td", "th") and self.cells:
            self.cells[-1] += 1
            self.columns = max(self.columns, self.cells[-1])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass
        if tag == "tr" and self.cells:
            self.cells.pop()

    def handle_data(self, data: str) -> None:
        self.chars += units(data)


def measure_rich(html: str) -> RichSize:
    """Measure rich message HTML: characters, blocks, nesting depth, media and table columns."""
    parser = _Measure()
    parser.feed(html)
    parser.close()
    return RichSize(parser.chars, parser.blocks, parser.depth, parser.media, parser.columns)
