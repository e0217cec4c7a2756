"""Judge Telegram Bot API ``parse_mode=HTML`` text the way Telegram's server does.

Written from the Bot API formatting docs and TDLib's ``parse_html`` (td/telegram/MessageEntity.cpp), never
from our renderer, so it is an independent oracle. Error texts copy TDLib's wherever Telegram itself rejects.

Where Telegram is lenient we are deliberately STRICT: it keeps a bare ``&``/``>`` or ``&nbsp;`` literally,
decodes ``&lt`` without ``;``, silently drops a link with a bad href and silently strips forbidden nesting.
Our renderer must never lean on that (an unescaped ``&lt=1`` in a URL becomes ``<=1``), so strictness can
only find more bugs. Errors the real server would NOT raise carry ``telegram_accepts=True``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_RAW_BYTES = 1 << 15  # telegram-bot-api checks text.size() > (1 << 15) before parsing anything
MAX_TEXT_CHARS = 4096  # code points of the parsed text (TDLib utf8_length), not UTF-16 units
MAX_CAPTION_CHARS = 1024
MAX_CALLBACK_BYTES = 64

_PARSE = "Bad Request: can't parse entities: "
_SPACE = " \t\n\r\v\f"  # TDLib is_space()
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # TDLib to_lower
# What TDLib's strip_empty_characters / trimming treat as blank, plus everything Python calls whitespace.
_BLANK = (
    "".join(chr(c) for c in range(0x21))
    + "\x85\xa0\u1680\u180e\u2028\u2029\u202e\u202f\u205f\u2800\u3000\ufffc"
)
_BLANK += "".join(chr(c) for c in range(0x2000, 0x2010))

_FORMAT = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_LEAF = frozenset({"code", "pre", "tg-emoji", "tg-time"})  # may contain plain text only
_CONTINUOUS = _LEAF | {"a"}  # "all other entities can't contain each other" [TG-FMT]
_SUPPORTED = frozenset(_FORMAT) | _CONTINUOUS | {"blockquote"}
_ATTRS = {
    "a": {"href"}, "code": {"class"}, "span": {"class"}, "tg-emoji": {"emoji-id"},
    "blockquote": {"expandable"}, "tg-time": {"unix", "format"},
}  # fmt: skip

_PLAIN = re.compile(r"[^&<>]+")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]+)|#x([0-9a-fA-F]+));")  # TDLib: lowercase x only
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_LANGUAGE = re.compile(r"language-([A-Za-z0-9_+#.-]+)")
_TIME_FORMAT = re.compile(r"r|w?[dD]?[tT]?")
_LANGUAGE_MISPLACED = 'Only <code class="language-…"> directly inside <pre> may have a class'
_PRE_CODE_NOT_WHOLE = '<code class="language-…"> must be the whole content of <pre>'
_MENTION = re.compile(r"tg://user\?id=[0-9]+", re.IGNORECASE)


class TelegramHTMLError(ValueError):
    """A 400 answer; ``description`` is the exact text Telegram's server would send."""

    def __init__(self, description: str, *, telegram_accepts: bool = False) -> None:
        super().__init__(description)
        self.description = description
        # True when the real server accepts this input and only our strict rules refuse it.
        self.telegram_accepts = telegram_accepts


@dataclass(frozen=True)
class ParsedHTML:
    """Visible text and MessageEntity-like ``(type, offset, length)`` tuples in UTF-16 code units."""

    text: str
    entities: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str | None]
    start: int  # UTF-16 offset where the content begins
    seq: int  # opening order, to sort entities with equal ranges outer-first like Telegram
    children: int = 0
    child_end: int | None = None  # pre only: where its <code class="language-…"> ended


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _utf8(raw: str) -> bytes:
    try:
        return raw.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates; a real HTTP client would already fail to encode them
        raise TelegramHTMLError("Bad Request: strings must be encoded in UTF-8") from None


def _valid_href(url: str) -> bool:
    if not url or any(c in _BLANK for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return bool(host) and url[len(scheme) : len(scheme) + 3] == "://"
    return scheme == "tg" and url[2:5] == "://" and len(url) > 5


class _Parser:
    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.found: list[tuple[int, int, int, str]] = []  # (offset, -length, seq, type)
        self.seq = 0

    def fail(self, detail: str, at: int | None, *, lenient: bool = False) -> TelegramHTMLError:
        where = "" if at is None else f" at byte offset {self.byte(at)}"
        return TelegramHTMLError(f"{_PARSE}{detail}{where}", telegram_accepts=lenient)

    def byte(self, at: int) -> int:
        return len(self.raw[:at].encode("utf-8"))  # Telegram reports UTF-8 byte offsets into the raw text

    def skip(self, j: int) -> int:
        while j < len(self.raw) and self.raw[j] in _SPACE:
            j += 1
        return j

    def emit(self, s: str) -> None:
        self.out.append(s)
        self.utf16 += _utf16_len(s)

    def parse(self) -> ParsedHTML:
        raw, i = self.raw, 0
        while i < len(raw):
            if raw[i] == "&":
                char, i = self.entity(i)
                self.emit(char)
            elif raw[i] == ">":
                raise self.fail('Unescaped ">"', i, lenient=True)
            elif raw[i] == "<":
                i = self.end_tag(i) if raw.startswith("</", i) else self.start_tag(i)
            else:
                plain = _PLAIN.match(raw, i)
                assert plain is not None
                self.emit(plain.group())
                i = plain.end()
        if self.stack:  # TDLib names the innermost unclosed tag
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"', None)
        entities = [(kind, off, -neg) for off, neg, _, kind in sorted(self.found)]
        return ParsedHTML("".join(self.out), entities)

    def entity(self, i: int) -> tuple[str, int]:
        m = _ENTITY.match(self.raw, i)
        if m is None:
            named = re.match(r"&[A-Za-z]+;", self.raw[i:])
            what = f'Unsupported named entity "{named.group()}"' if named else 'Unescaped "&"'
            raise self.fail(what, i, lenient=True)  # Telegram keeps it as literal text
        name, dec, hexa = m.groups()
        if name:
            return _NAMED[name], m.end()
        digits = (dec or hexa).lstrip("0")
        code = int(digits, 10 if dec else 16) if 0 < len(digits) <= 8 else 0
        # TDLib refuses 0, surrogates and anything >= 0x10FFFF, then keeps "&" literally.
        if not 0 < code < 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.fail(f'Invalid character reference "{m.group()}"', i, lenient=True)
        return chr(code), m.end()

    def start_tag(self, at: int) -> int:
        raw, n, j = self.raw, len(self.raw), at + 1
        while j < n and raw[j] not in _SPACE and raw[j] != ">":  # TDLib: the name runs to a space or ">"
            j += 1
        if j >= n:
            raise self.fail("Unclosed start tag", at)
        tag = raw[at + 1 : j].translate(_ASCII_LOWER)
        if tag not in _SUPPORTED:
            raise self.fail(f'Unsupported start tag "{tag}"', at)
        attrs: dict[str, str | None] = {}
        while True:
            j = self.skip(j)
            if j >= n:
                raise self.fail(f'Unclosed start tag "{tag}"', at)
            if raw[j] == ">":
                break
            k = j
            while j < n and raw[j] not in _SPACE and raw[j] not in "=>":
                j += 1
            if j == k:
                raise self.fail(f'Empty attribute name in the tag "{tag}"', at)
            name, value = raw[k:j], None
            j = self.skip(j)
            if j < n and raw[j] == "=":
                j += 1
                j = self.skip(j)
                if j >= n:
                    raise self.fail(f'Unclosed start tag "{tag}"', at)
                if raw[j] not in "\"'":  # Telegram lower-cases unquoted tokens, which would mangle URLs
                    raise self.fail(f'Unquoted value of the attribute "{name}"', j, lenient=True)
                end = raw.find(raw[j], j + 1)
                if end < 0:
                    raise self.fail("Unclosed start tag", at)
                value, j = self.attr_value(j + 1, end), end + 1
            attrs[name] = value
        self.open(tag, attrs, at)
        return j + 1

    def attr_value(self, i: int, end: int) -> str:
        parts: list[str] = []
        while i < end:
            c = self.raw[i]
            if c == "&":
                char, i = self.entity(i)
                parts.append(char)
                continue
            if c in "<>":
                raise self.fail(f'Unescaped "{c}" in an attribute value', i, lenient=True)
            parts.append(c)
            i += 1
        return "".join(parts)

    def open(self, tag: str, attrs: dict[str, str | None], at: int) -> None:
        for name, value in attrs.items():
            if value is None and not (tag == "blockquote" and name == "expandable"):
                raise self.fail(f'Expected equal sign in declaration of an attribute of the tag "{tag}"', at)
            if name not in _ATTRS.get(tag, set()):
                raise self.fail(f'Unsupported attribute "{name}" in the tag "{tag}"', at, lenient=True)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail('Tag "span" must have class "tg-spoiler"', at)
        if tag == "a" and not _valid_href(attrs.get("href") or ""):
            # Without href Telegram links the inner text; with a bad one it silently drops the link.
            raise self.fail('Tag "a" must have an http(s):// or tg:// href', at, lenient=True)
        if tag == "tg-emoji":
            emoji_id = attrs.get("emoji-id") or ""
            if not (emoji_id.isascii() and emoji_id.isdigit() and 0 < int(emoji_id) < 1 << 63):
                raise self.fail("Invalid custom emoji identifier specified", None)
        if tag == "tg-time":
            unix, fmt = attrs.get("unix") or "", attrs.get("format") or ""
            if not (unix.isascii() and unix.isdigit()) or not _TIME_FORMAT.fullmatch(fmt):
                raise self.fail('Tag "tg-time" must have a numeric unix and a valid format', at)
        self.check_nesting(tag, attrs, at)
        if self.stack:
            self.stack[-1].children += 1
        self.stack.append(_Open(tag, attrs, self.utf16, self.seq))
        self.seq += 1

    def check_nesting(self, tag: str, attrs: dict[str, str | None], at: int) -> None:
        parent = self.stack[-1] if self.stack else None
        if tag == "code" and "class" in attrs:
            # A language is only meaningful as <pre><code class="language-x"> wrapping the whole block.
            if parent is None or parent.tag != "pre" or not _LANGUAGE.fullmatch(attrs["class"] or ""):
                raise self.fail(_LANGUAGE_MISPLACED, at, lenient=True)
            if parent.children or parent.start != self.utf16:
                raise self.fail(_PRE_CODE_NOT_WHOLE, at, lenient=True)
        for outer in self.stack:
            if outer is parent and tag == "code" and "class" in attrs:
                continue
            may_hold_continuous = outer.tag in _FORMAT or outer.tag == "blockquote"
            if outer.tag in _LEAF or tag == "blockquote" or (tag in _CONTINUOUS and not may_hold_continuous):
                # Telegram does not refuse these; it silently strips entities, so the message looks wrong.
                raise self.fail(f'Tag "{tag}" can\'t be nested inside "{outer.tag}"', at, lenient=True)

    def end_tag(self, at: int) -> int:
        raw, n, j = self.raw, len(self.raw), at + 2
        if not self.stack:
            raise self.fail("Unexpected end tag", at)
        while j < n and raw[j] not in _SPACE and raw[j] != ">":
            j += 1
        name = raw[at + 2 : j].translate(_ASCII_LOWER)
        j = self.skip(j)
        if j >= n or raw[j] != ">":
            raise self.fail("Unclosed end tag", at)
        top = self.stack[-1]
        if name != top.tag:  # TDLib lets "</>" close anything; we do not
            found = f'expected "</{top.tag}>", found "</{name}>"'
            detail = f"Unmatched end tag at byte offset {self.byte(at)}, {found}"
            raise TelegramHTMLError(_PARSE + detail, telegram_accepts=not name)
        self.close(at)
        return j + 1

    def close(self, at: int) -> None:
        top = self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if top.tag == "pre" and top.children and top.child_end != self.utf16:
            raise self.fail(_PRE_CODE_NOT_WHOLE, at, lenient=True)
        if top.tag == "code" and parent and parent.tag == "pre":
            parent.child_end = self.utf16
            return  # the enclosing pre becomes one "pre" entity with a language, as in the Bot API
        if self.utf16 == top.start:
            return  # Telegram drops empty entities
        kind = _FORMAT.get(top.tag) or top.tag
        if top.tag == "a":
            kind = "text_mention" if _MENTION.fullmatch(top.attrs["href"] or "") else "text_link"
        elif top.tag == "blockquote" and "expandable" in top.attrs:
            kind = "expandable_blockquote"
        elif top.tag in ("tg-emoji", "tg-time"):
            kind = "custom_emoji" if top.tag == "tg-emoji" else "date_time"
        self.found.append((top.start, top.start - self.utf16, top.seq, kind))


def parse_telegram_html(raw: str) -> ParsedHTML:
    """Parse ``raw`` like Telegram's HTML parse mode (strictly), or raise TelegramHTMLError."""
    _utf8(raw)
    return _Parser(raw).parse()


def _check_raw_size(raw: str) -> None:
    if len(_utf8(raw)) > MAX_RAW_BYTES:
        raise TelegramHTMLError("Bad Request: text is too long")


def check_message_text(raw: str) -> ParsedHTML:
    """Validate sendMessage/editMessageText ``text`` with ``parse_mode=HTML``, including its limits."""
    _check_raw_size(raw)
    parsed = parse_telegram_html(raw)
    if not parsed.text.strip(_BLANK):
        raise TelegramHTMLError("Bad Request: message text is empty")
    if len(parsed.text) > MAX_TEXT_CHARS:
        raise TelegramHTMLError("Bad Request: message is too long")
    return parsed


def check_caption(raw: str) -> ParsedHTML:
    """Validate a media ``caption`` with ``parse_mode=HTML``; an empty caption is allowed."""
    _check_raw_size(raw)
    parsed = parse_telegram_html(raw)
    if len(parsed.text) > MAX_CAPTION_CHARS:
        raise TelegramHTMLError("Bad Request: message caption is too long")
    return parsed


def check_callback_data(data: str) -> None:
    """Validate InlineKeyboardButton ``callback_data``: 1-64 bytes of UTF-8."""
    if not 1 <= len(_utf8(data)) <= MAX_CALLBACK_BYTES:
        raise TelegramHTMLError("Bad Request: BUTTON_DATA_INVALID")
