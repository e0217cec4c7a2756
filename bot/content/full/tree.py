"""Markdown's element tree read into blocks and inline runs, markers turned back into what they hold."""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import Element

import markdown
from markdown.inlinepatterns import SimpleTagInlineProcessor
from markdown.util import HTML_PLACEHOLDER_RE

from bot.content.full.markers import MARKER, STRAY
from bot.content.full.model import (
    BOLD,
    ITALIC,
    STRIKE,
    Block,
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
from bot.content.full.runs import normalize, pad_rows
from bot.content.full.source import PARAGRAPH_BREAK, Source, restore
from bot.content.render.common import safe_url

MAX_NESTING = 40  # deeper than this, a list or quote reads as its text: no reader follows it anyway
_STYLES = {"strong": BOLD, "b": BOLD, "em": ITALIC, "i": ITALIC, "del": STRIKE, "s": STRIKE}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CONTAINERS = frozenset({"p", "ul", "ol", "blockquote", "pre", "table", "hr", "div", *_HEADINGS})
_RAW_SKIP = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_EMPHASIS_RUN = re.compile(r"[*_]{3,}")

_BREAK = Rule()  # (this very object) where one paragraph of a run read without Markdown ends
Item = Run | Block  # inline content, or a block met inside it (display math, an image, code)


class _Serializer:
    """Markdown's serializer slot: keep the element tree instead of writing HTML."""

    def __init__(self) -> None:
        self.root: Element | None = None

    def __call__(self, root: Element) -> str:
        self.root = root
        return ""


def _markdown() -> tuple[markdown.Markdown, _Serializer]:
    md = markdown.Markdown(extensions=["tables", "sane_lists"])
    serializer = _Serializer()
    md.serializer = serializer
    md.stripTopLevelTags = False
    md.postprocessors.deregister("raw_html")
    # Code spans, links and images are markers already (see source.py); these patterns would only
    # scan brackets and backticks for nothing.
    for name in ("backtick", "reference", "link", "image_link", "image_reference", "short_reference",
                 "short_image_ref", "automail"):  # fmt: skip
        md.inlinePatterns.deregister(name, strict=False)
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"(~{2})(?!~)(.+?)(?<!~)\1", "del"), "strike", 55)
    return md, serializer


# One instance, reset for each post: building one costs more than a short post's whole rendering.
# Like the excerpt's, it is not re-entrant; the bot renders on its event loop's one thread.
_MD, _SERIALIZER = _markdown()


def read_blocks(text: str, source: Source, image_word: str) -> list[Block]:
    """Run Markdown over prepared text and read its tree as blocks."""
    _MD.reset()
    try:
        _MD.convert(text)
    except RecursionError:
        # Emphasis nested thousands deep: read it without emphasis rather than refuse the post.
        _MD.reset()
        _MD.convert(_EMPHASIS_RUN.sub("", text))
    root = _SERIALIZER.root
    _SERIALIZER.root = None
    if root is None:  # pragma: no cover - convert always serializes
        return []
    return _Reader(source, list(_MD.htmlStash.rawHtmlBlocks), image_word).flow(root, 0)


class _Reader:
    def __init__(self, source: Source, stash: list[object], image_word: str) -> None:
        self.source = source
        self.stash = stash
        self.image_word = image_word
        self.href: str | None = None  # the link the inline walk is inside of

    # --- blocks --------------------------------------------------------------------------------

    def flow(self, parent: Element, depth: int) -> list[Block]:
        """Blocks of a container whose children mix inline content and blocks (root, li, quote)."""
        if depth > MAX_NESTING:
            return split_items(self.text_items("".join(_all_text(parent)), 0))
        blocks: list[Block] = []
        pending: list[Item] = self.text_items(parent.text or "", 0)
        for child in parent:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _CONTAINERS:
                blocks += split_items(pending)
                pending = []
                blocks += self.block(child, tag, depth)
            else:
                pending += self.inline(child, 0)
            pending += self.text_items(child.tail or "", 0)
        self.href = None
        return blocks + split_items(pending)

    def block(self, element: Element, tag: str, depth: int) -> list[Block]:
        if tag == "p":
            self.href = None
            return split_items(self.inline_content(element, 0))
        if tag in _HEADINGS:
            return [Heading(_HEADINGS[tag], self.runs(element))]
        if tag in ("ul", "ol"):
            items = tuple(tuple(self.flow(li, depth + 1)) for li in element if li.tag == "li")
            start = element.get("start", "1")
            number = int(start) if start.isdigit() and len(start) < 9 else 1
            return [ListBlock(tag == "ol", items, number)] if items else []
        if tag == "blockquote":
            inner = tuple(self.flow(element, depth + 1))
            return [Quote(inner)] if inner else []
        if tag == "pre":
            return [self.indented_code(element)]
        if tag == "table":
            return self.table(element)
        if tag == "hr":
            return [Rule()]
        return self.flow(element, depth + 1)  # div and the like: their content is what counts

    def indented_code(self, element: Element) -> CodeBlock:
        code = "".join(_all_text(element))
        code = restore(code, self.source)  # formulas and spans were swapped even here
        code = code.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        return CodeBlock(code.rstrip("\n"))

    def table(self, element: Element) -> list[Block]:
        rows: list[tuple[Runs, ...]] = []
        for row in element.iter("tr"):
            rows.append(tuple(self.runs(cell) for cell in row if cell.tag in ("th", "td")))
        if not rows:
            return []
        header, body = pad_rows(rows)
        return [Table(header, body)]

    def runs(self, element: Element) -> Runs:
        """Inline content of a heading or a table cell: blocks met inside read as inline runs."""
        self.href = None
        items = self.inline_content(element, 0)
        self.href = None
        return normalize([item for block in items for item in self.as_runs(block)])

    def as_runs(self, item: Item) -> list[Run]:
        if isinstance(item, Run):
            return [item]
        if isinstance(item, MathBlock):
            return [Run("math", item.source)]
        if isinstance(item, Image):
            return [Run("text", item.alt or self.image_word, href=item.url or None)]
        if isinstance(item, CodeBlock):
            return [Run("code", " ".join(item.code.split()))]
        return [Run("text", " ")] if item is _BREAK else []

    # --- inline --------------------------------------------------------------------------------

    def inline_content(self, element: Element, style: int, depth: int = 0) -> list[Item]:
        if depth > MAX_NESTING:  # emphasis thousands deep: its text is what is left of it
            return self.text_items("".join(_all_text(element)), style)
        items = self.text_items(element.text or "", style)
        for child in element:
            items += self.inline(child, style, depth + 1)
            items += self.text_items(child.tail or "", style)
        return items

    def inline(self, element: Element, style: int, depth: int = 0) -> list[Item]:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "br":
            return [Run("break")]
        if tag == "a":  # an autolink: `<https://…>`
            outer, self.href = self.href, safe_url(element.get("href", "")) or self.href
            items = self.inline_content(element, style, depth)
            self.href = outer
            return items
        if tag == "code":
            return [Run("code", "".join(_all_text(element)), style, self.href)]
        return self.inline_content(element, style | _STYLES.get(tag, 0), depth)

    def text_items(self, text: str, style: int) -> list[Item]:
        """Text with raw HTML placeholders read as text and markers turned back into content."""
        if not text:
            return []
        if "\x02" in text:
            text = HTML_PLACEHOLDER_RE.sub(self.raw_html, text)
        items: list[Item] = []
        position = 0
        for match in MARKER.finditer(text):
            if match.start() > position:
                items.append(self.text_run(text[position : match.start()], style))
            position = match.end()
            if match.group(1) is not None:
                items += self.atom(int(match.group(1)), style)
            elif match.group(2) is not None:
                self.href = self.source.links[int(match.group(2))]
            else:
                self.href = None
        if position < len(text):
            items.append(self.text_run(text[position:], style))
        return items

    def text_run(self, text: str, style: int) -> Run:
        if "\ue001" in text or "\ue005" in text or "\ue000" in text:
            text = STRAY.sub("", text)
        return Run("text", text, style, self.href)

    def atom(self, index: int, style: int) -> list[Item]:
        atom = self.source.atoms[index]
        if atom.kind == "code":
            return [Run("code", atom.text, style, self.href)]
        if atom.kind == "math":
            return [Run("math", atom.text, style, self.href)]
        if atom.kind == "text":
            return [Run("text", atom.text, style, self.href)]
        if atom.kind == "break":
            return [Run("break")]
        if atom.kind == "display":
            return [MathBlock(atom.text)]
        if atom.kind == "block":
            return [CodeBlock("\n".join(atom.lines), atom.text)]
        if atom.kind == "paragraph":
            items: list[Item] = []
            for number, paragraph in enumerate(atom.text.split(PARAGRAPH_BREAK)):
                items += [*([_BREAK] if number else []), *self.text_items(paragraph, style)]
                self.href = None
            return items
        if atom.url:
            return [Image(atom.url, atom.text)]
        # An image with no usable address: its alt text is what is left of it.
        return [Run("text", atom.text, style, self.href)] if atom.text else []

    def raw_html(self, match: re.Match[str]) -> str:
        # Raw HTML and entities were stashed by Markdown; keep only their visible text.
        index = int(match.group(1))
        raw = str(self.stash[index]) if index < len(self.stash) else ""
        if not raw.startswith("<"):
            return html.unescape(raw)  # an entity such as &lt;
        return " " + html.unescape(_TAG.sub(" ", _RAW_SKIP.sub(" ", raw))) + " "


def split_items(items: list[Item]) -> list[Block]:
    """Cut inline content into paragraphs around the blocks met inside it (display math, images)."""
    blocks: list[Block] = []
    runs: list[Run] = []
    for item in items:
        if isinstance(item, Run):
            runs.append(item)
            continue
        paragraph = normalize(runs)
        if paragraph:
            blocks.append(Paragraph(paragraph))
        runs = []
        if item is not _BREAK:
            blocks.append(item)
    paragraph = normalize(runs)
    if paragraph:
        blocks.append(Paragraph(paragraph))
    return blocks


def _all_text(element: Element) -> list[str]:
    """Every text inside `element`, in order, without recursion (a tree may be thousands deep)."""
    out: list[str] = []
    stack: list[tuple[Element, bool]] = [(element, False)]
    while stack:
        node, is_tail = stack.pop()
        if is_tail:
            out.append(node.tail or "")
            continue
        out.append(node.text or "")
        for child in reversed(list(node)):
            if child is not element:
                stack.append((child, True))
                stack.append((child, False))
    return out
