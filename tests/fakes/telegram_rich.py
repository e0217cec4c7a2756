"""Judge Telegram rich messages (Bot API 10.1 ``sendRichMessage``) the way the server does, for the fake.

Written from the Bot API pages (Rich HTML style, InputRichMessage, Rich Message Limits) on top of
html.parser, never from our renderer, so it is an independent oracle. Where the docs are silent we are
STRICT: every entity must end in ";", a bare "<" or "&" is refused, an <img> is a block (no inline image
exists in RichText), a cell holds inline content only. Errors name the tag and a UTF-8 byte offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

MAX_TEXT_CHARS = 32_768  # code points of visible text, LaTeX source included
MAX_BLOCKS = 500  # every block element, nested ones, list items and table rows included
MAX_DEPTH = 16
MAX_MEDIA = 50
MAX_COLUMNS = 20

_PARSE = "Bad Request: can't parse rich message: "
TOO_LONG = "Bad Request: rich message is too long"
TOO_MANY_BLOCKS = "Bad Request: too many rich message blocks"
TOO_DEEP = "Bad Request: rich message nesting is too deep"
TOO_MANY_MEDIA = "Bad Request: too many rich message media"
TOO_MANY_COLUMNS = "Bad Request: too many rich message table columns"
EMPTY = "Bad Request: rich message is empty"

# Content models: what an open element may directly contain.
FLOW, PHRASING, TEXT, PRE, LIST, TABLE, ROWS, ROW, DETAILS = (
    "flow", "phrasing", "text", "pre", "list", "table", "rows", "row", "details",
)  # fmt: skip
_BLOCK_TYPE = {
    "p": "paragraph", "pre": "preformatted", "blockquote": "block_quotation", "aside": "pull_quotation",
    "ul": "list", "ol": "list", "table": "table", "hr": "divider", "img": "photo", "footer": "footer",
    "tg-math-block": "mathematical_expression", "details": "details",
} | {f"h{n}": "section_heading" for n in range(1, 7)}  # fmt: skip
_INLINE = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "a", "sub", "sup", "mark",
     "tg-spoiler", "tg-math", "br"}
)  # fmt: skip
# Parts of a structure and the parent models they must sit in, with the reason given otherwise.
_PARTS = {
    "li": ((LIST,), 'Tag "li" must be directly inside "ul" or "ol"'),
    "thead": ((TABLE,), 'Tag "thead" must be directly inside "table"'),
    "tbody": ((TABLE,), 'Tag "tbody" must be directly inside "table"'),
    "tr": ((TABLE, ROWS), 'Tag "tr" must be inside "table"'),
    "td": ((ROW,), 'Tag "td" must be directly inside "tr"'),
    "th": ((ROW,), 'Tag "th" must be directly inside "tr"'),
    "summary": ((DETAILS,), 'Tag "summary" must be the first child of "details"'),
}
_MODEL = {  # every other element holds inline content
    "blockquote": FLOW, "li": FLOW, "details": DETAILS, "pre": PRE, "ul": LIST, "ol": LIST,
    "table": TABLE, "thead": ROWS, "tbody": ROWS, "tr": ROW, "tg-math": TEXT, "tg-math-block": TEXT,
}  # fmt: skip
_VOID = frozenset({"br", "hr", "img"})
_COUNTED = frozenset(_BLOCK_TYPE) | {"li", "tr"}
_ATTRS = {
    "a": {"href"}, "img": {"src", "alt"}, "code": {"class"},
    "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align"},
}  # fmt: skip
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}
_LANGUAGE = re.compile(r"language-[A-Za-z0-9_+#.-]+")
_PHOTO = re.compile(r"tg://photo\?id=[^\s&]+")
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+")
_STRUCTURE = {LIST, TABLE, ROWS, ROW}
_SPECIAL = re.compile("[&<]")


class RichMessageError(ValueError):
    """A 400 answer; ``description`` is the text the fake server sends."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class RichBlock:
    """A top-level block of a rich message in order: its RichBlock type and its plain text."""

    type: str
    text: str


@dataclass(frozen=True)
class ParsedRich:
    """What a valid rich message holds: plain text, the counts checked against the limits, the outline."""

    text: str
    chars: int
    blocks: int
    media: int
    depth: int
    outline: tuple[RichBlock, ...] = ()


@dataclass
class _Frame:
    tag: str
    model: str
    at: int  # character offset of the start tag
    start: int  # index into the plain-text pieces where the element's text begins
    blank: bool = True  # nothing but whitespace inside so far
    children: int = 0
    cells: int = 0  # tr: columns so far, colspans included
    run: bool = False  # flow: an inline run is open, so whitespace is content


def _http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and "://" in url[:8]
    except ValueError:
        return False


def _valid_href(url: str) -> bool:
    if not url or any(c.isspace() for c in url):
        return False
    return _http(url) or (url[:5].lower() == "tg://" and len(url) > 5) or bool(_MAILTO.fullmatch(url))


class _RichParser(HTMLParser):
    def __init__(self, raw: str) -> None:
        super().__init__(convert_charrefs=False)  # we judge every entity ourselves
        self.raw = raw
        self.lines = [0] + [m.end() for m in re.finditer("\n", raw)]
        self.stack = [_Frame("", FLOW, 0, 0)]
        self.pieces: list[str] = []
        self.outline: list[RichBlock] = []
        self.chars = self.blocks = self.media = self.depth = 0
        self.visible = False
        self.root_run: int | None = None  # pieces index where loose inline text at the top level began
        self.cursor = 0  # where the next construct must begin

    def here(self, length: int = 0) -> int:
        """Offset of what html.parser reports now; the next report must start ``length`` further on."""
        line, col = self.getpos()
        at = self.lines[line - 1] + col
        if at != self.cursor:  # html.parser drops a few constructs ("</>") without any callback
            raise self.fail("Unsupported markup", self.cursor)
        self.cursor = at + length
        return at

    def fail(self, detail: str, at: int | None) -> RichMessageError:
        where = "" if at is None else f" at byte offset {len(self.raw[:at].encode('utf-8'))}"
        return RichMessageError(f"{_PARSE}{detail}{where}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open(tag, attrs, self.here(len(self.get_starttag_text() or "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = self.here(len(self.get_starttag_text() or ""))
        if tag not in _VOID and (tag in _BLOCK_TYPE or tag in _INLINE or tag in _PARTS):
            raise self.fail(f'Tag "{tag}" can\'t be self-closing', at)
        self.open(tag, attrs, at)

    def handle_endtag(self, tag: str) -> None:
        at = self.here()
        self.cursor = self.raw.index(">", at) + 1
        self.end(tag, at)

    def handle_data(self, data: str) -> None:
        at = self.here(len(data))
        for bad in "<&":
            if (i := data.find(bad)) >= 0:
                raise self.fail(f'Unescaped "{bad}"', at + i)
        self.text(data, at)

    def handle_entityref(self, name: str) -> None:
        self.entity(self.here())

    def handle_charref(self, name: str) -> None:
        self.entity(self.here())

    def handle_comment(self, data: str) -> None:
        raise self.fail("Comments, declarations and processing instructions are not supported", self.here())

    def handle_decl(self, decl: str) -> None:
        self.handle_comment(decl)

    handle_pi = unknown_decl = handle_comment

    def entity(self, at: int) -> None:
        """Decode the entity at ``at`` (html.parser also takes ones without ";", which we refuse)."""
        m = _ENTITY.match(self.raw, at)
        if m is None:
            name = re.match(r"&#?[A-Za-z0-9]*;?", self.raw[at : at + 40])
            raise self.fail(f'Unsupported entity "{name.group() if name else "&"}"', at)
        named, dec, hexa = m.groups()
        code = 0 if named else int(dec or hexa, 10 if dec else 16)
        if not named and (not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF):
            raise self.fail(f'Invalid character reference "{m.group()}"', at)
        self.cursor = m.end()
        self.text(_NAMED[named] if named else chr(code), at)

    def text(self, s: str, at: int) -> None:
        top, blank = self.stack[-1], not s.strip()
        if top.model in _STRUCTURE or top.model == DETAILS:
            if blank:
                return  # indentation between rows, items and cells
            if top.model == DETAILS:
                raise self.fail('Tag "details" must begin with "summary"', at)
            raise self.fail(f'Text can\'t be directly inside "{top.tag}"', at)
        if top.model == PRE and top.children and not blank:
            raise self.fail('Tag "code" must be the whole content of "pre"', at)
        if top.model == FLOW:
            if not top.run:  # whitespace between blocks is layout, not text
                s = s.lstrip()
                if not s:
                    return
            self.start_run(top)
        top.blank = top.blank and blank
        self.visible = self.visible or not blank
        self.count(s)

    def count(self, s: str) -> None:
        self.chars += len(s)
        if self.chars > MAX_TEXT_CHARS:
            raise RichMessageError(TOO_LONG)
        self.pieces.append(s)

    def start_run(self, top: _Frame) -> None:
        if not top.run and top is self.stack[0]:
            self.root_run = len(self.pieces)
        top.run = True

    def end_run(self, top: _Frame) -> None:
        if top is self.stack[0] and self.root_run is not None:
            self.outline.append(RichBlock("paragraph", "".join(self.pieces[self.root_run :]).strip()))
            self.root_run = None
        top.run = False

    def newline(self) -> None:
        """End the plain text's line before a block (its counted trailing spaces leave the text only)."""
        while self.pieces and not self.pieces[-1].strip(" \t\r\f\v"):
            self.pieces.pop()
        if self.pieces:
            self.pieces[-1] = self.pieces[-1].rstrip(" \t\r\f\v")
        if self.pieces and not self.pieces[-1].endswith("\n"):
            self.pieces.append("\n")

    def open(self, tag: str, attrs: list[tuple[str, str | None]], at: int) -> None:
        if tag not in _BLOCK_TYPE and tag not in _INLINE and tag not in _PARTS:
            raise self.fail(f'Unsupported start tag "{tag}"', at)
        top = self.stack[-1]
        self.place(tag, top, at)
        values = self.attributes(tag, attrs, at, top)
        self.depth = max(self.depth, len(self.stack))
        if len(self.stack) > MAX_DEPTH:
            raise RichMessageError(TOO_DEEP)
        self.tally(tag, top, values)
        top.children += 1
        if tag in _INLINE and top.model == FLOW:
            self.start_run(top)
        elif tag not in _INLINE and top.model == FLOW:
            self.end_run(top)
        if tag == "br":
            self.count("\n")
        elif tag not in _VOID:
            model = TEXT if tag == "code" and top.model == PRE else _MODEL.get(tag, PHRASING)
            self.stack.append(_Frame(tag, model, at, len(self.pieces)))
        elif top is self.stack[0]:
            self.outline.append(RichBlock(_BLOCK_TYPE[tag], values.get("alt") or ""))

    def place(self, tag: str, top: _Frame, at: int) -> None:
        """Refuse a tag its parent may not hold directly."""
        model, parent = top.model, top.tag
        if tag in _PARTS:
            models, reason = _PARTS[tag]
            if model not in models or (tag == "summary" and top.children):
                raise self.fail(reason, at)
        elif model == DETAILS:
            raise self.fail('Tag "details" must begin with "summary"', at)
        elif model in _STRUCTURE:
            raise self.fail(f'Tag "{tag}" can\'t be directly inside "{parent}"', at)
        elif model == TEXT or (model == PRE and tag != "code"):
            raise self.fail(f'Tag "{tag}" can\'t be inside "{parent}"', at)
        elif model == PRE and (top.children or not top.blank):
            raise self.fail('Tag "code" must be the whole content of "pre"', at)
        elif model == PHRASING and tag not in _INLINE:
            raise self.fail(f'Tag "{tag}" can\'t be inside "{parent}"', at)
        if tag == "a" and any(frame.tag == "a" for frame in self.stack):
            raise self.fail('Tag "a" can\'t be inside "a"', at)

    def attributes(
        self, tag: str, attrs: list[tuple[str, str | None]], at: int, top: _Frame
    ) -> dict[str, str]:
        """Check the attributes of a start tag; return them as a dict."""
        source = self.get_starttag_text() or ""
        for special in _SPECIAL.finditer(source, 1):
            i = special.start()
            if source[i] == "<":
                raise self.fail(f'Unescaped "<" in the tag "{tag}"', at + i)
            if not _ENTITY.match(source, i):
                raise self.fail(f'Unsupported entity in the tag "{tag}"', at + i)
        values: dict[str, str] = {}
        for name, value in attrs:
            if name not in _ATTRS.get(tag, ()):
                raise self.fail(f'Unsupported attribute "{name}" in the tag "{tag}"', at)
            if name in values:
                raise self.fail(f'Duplicate attribute "{name}" in the tag "{tag}"', at)
            if value is None:
                raise self.fail(f'Attribute "{name}" of the tag "{tag}" must have a value', at)
            values[name] = value
        self.check_values(tag, values, at, top)
        return values

    def check_values(self, tag: str, values: dict[str, str], at: int, top: _Frame) -> None:
        if tag == "a" and not _valid_href(values.get("href", "")):
            raise self.fail('Tag "a" must have an http(s)://, tg:// or mailto: href', at)
        src = values.get("src", "")
        if tag == "img" and not (_http(src) or _PHOTO.fullmatch(src)):
            raise self.fail('Tag "img" must have an http(s):// or tg://photo?id= src', at)
        if "class" in values and not (top.model == PRE and _LANGUAGE.fullmatch(values["class"])):
            raise self.fail('Only <code class="language-…"> directly inside <pre> may have a class', at)
        for span in ("colspan", "rowspan"):
            if span in values and not (values[span].isascii() and values[span].isdigit()):
                raise self.fail(f'Attribute "{span}" of the tag "{tag}" must be a number', at)
            if span in values and not 1 <= int(values[span]) <= 1000:
                raise self.fail(f'Attribute "{span}" of the tag "{tag}" is out of range', at)
        if values.get("align", "left") not in ("left", "center", "right"):
            raise self.fail(f'Attribute "align" of the tag "{tag}" must be left, center or right', at)

    def tally(self, tag: str, top: _Frame, values: dict[str, str]) -> None:
        """Count blocks, media and columns against the limits; separate blocks in the plain text."""
        if tag in _COUNTED:
            self.blocks += 1
            if self.blocks > MAX_BLOCKS:
                raise RichMessageError(TOO_MANY_BLOCKS)
        if tag == "img":
            self.media += 1
            self.visible = True
            if self.media > MAX_MEDIA:
                raise RichMessageError(TOO_MANY_MEDIA)
        if tag in ("td", "th"):
            if top.cells:
                self.pieces.append("\t")
            top.cells += int(values.get("colspan", "1"))
            if top.cells > MAX_COLUMNS:
                raise RichMessageError(TOO_MANY_COLUMNS)
        elif tag not in _INLINE:
            self.newline()

    def end(self, tag: str, at: int) -> None:
        top = self.stack[-1]
        if top is self.stack[0]:
            raise self.fail(f'Unexpected end tag "</{tag}>"', at)
        if tag != top.tag:
            where = len(self.raw[:at].encode("utf-8"))
            found = f'expected "</{top.tag}>", found "</{tag}>"'
            raise RichMessageError(f"{_PARSE}Unmatched end tag at byte offset {where}, {found}")
        self.stack.pop()
        parent = self.stack[-1]
        if tag in ("tg-math", "tg-math-block") and top.blank:
            raise self.fail(f'Empty formula in the tag "{tag}"', top.at)
        if top.model == DETAILS:
            raise self.fail('Tag "details" must begin with "summary"', top.at)
        if tag == "summary":
            parent.model = FLOW
        if tag not in _INLINE and parent.model == FLOW:
            parent.run = False
        if parent is self.stack[0] and tag in _BLOCK_TYPE:
            self.outline.append(RichBlock(_BLOCK_TYPE[tag], "".join(self.pieces[top.start :]).strip()))

    def finish(self) -> ParsedRich:
        if self.cursor != len(self.raw):
            raise self.fail("Unsupported markup", self.cursor)
        if len(self.stack) > 1:  # name the innermost unclosed tag, as Telegram's classic parser does
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"', None)
        self.end_run(self.stack[0])
        if not self.visible:
            raise RichMessageError(EMPTY)
        text = "".join(self.pieces).strip()
        return ParsedRich(text, self.chars, self.blocks, self.media, self.depth, tuple(self.outline))


def check_rich_html(html: str) -> ParsedRich:
    """Validate the ``html`` of an InputRichMessage, limits included, or raise RichMessageError."""
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a JSON body
        raise RichMessageError("Bad Request: strings must be encoded in UTF-8") from None
    parser = _RichParser(html)
    parser.feed(html)
    parser.close()
    return parser.finish()
