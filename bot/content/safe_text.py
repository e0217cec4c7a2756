"""Make text safe to show: no control, bidi-override or private-use characters, one line."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (a terminal obeys escape sequences), bidi embeddings/overrides/isolates (they
# reorder what a reader sees), and line/paragraph separators. Tabs and newlines become spaces.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_WHITESPACE = re.compile(r"\s+")


def strip_unsafe(text: str) -> str:
    """Remove characters that could reorder, hide or control what a reader or terminal shows."""
    return _UNSAFE.sub("", text)


def one_line(text: str) -> str:
    """Return `text` safe to show, on one line, whitespace collapsed, NFC-normalised."""
    return _WHITESPACE.sub(" ", strip_unsafe(unicodedata.normalize("NFC", text))).strip()


def safe_name(path: str) -> str:
    r"""Show a file name from disk: unsafe characters as `\xNN` escapes, never raw."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", path)
