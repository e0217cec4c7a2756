"""What no excerpt may show a reader: Markdown, LaTeX, HTML and every generator's own syntax."""

from __future__ import annotations

import re

LEAKS = {
    "inline math": re.compile(r"(?<![\w$])\$(?=\S)[^$\n]{1,200}(?<=\S)\$(?!\d)"),
    "display math": re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)"),
    "LaTeX command": re.compile(r"\\[A-Za-z]{2,}"),
    "shortcode or Liquid": re.compile(r"\{\{|\}\}|\{%|%\}"),
    "MDX": re.compile(r"\{/\*|\*/\}|^import\s|\bexport\s+(?:default|const)\b"),
    "HTML tag": re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"),
    "HTML comment": re.compile(r"<!--|-->"),
    "footnote": re.compile(r"\[\^[^\]]*\]"),
    "kramdown": re.compile(r"\{:[^}]*\}|\[TOC\]|\[\[TOC\]\]", re.IGNORECASE),
    "admonition": re.compile(r":::|!!!|\?\?\?"),
    "code fence": re.compile(r"```|~~~"),
    "Markdown link": re.compile(r"\]\(|!\["),
    "Markdown heading": re.compile(r"(?:^|\s)#{1,6}\s"),
}


def leaks(text: str) -> list[str]:
    """Name every kind of markup found in `text` (empty when it reads as plain prose)."""
    return [name for name, pattern in LEAKS.items() if pattern.search(text)]
