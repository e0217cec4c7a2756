"""Guess a post's language from its prose, not from its code, math, links or markup."""

from __future__ import annotations

import re

from bot.content.models import Lang

SAMPLE = 1200
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# Roughly the formulas: exact boundaries don't matter for counting letters, speed does.
_MATHISH = re.compile(
    r"\$\$.{0,3000}?\$\$|\$[^$\n]{1,300}\$|\\\[.{0,3000}?\\\]|\\begin\{.{0,3000}?\\end\{[^}]*\}", re.DOTALL
)
_NOT_PROSE = re.compile(
    r"`[^`\n]{0,500}`"  # inline code
    r"|\]\([^()\n]{0,500}\)"  # link targets
    r"|https?://\S{0,500}"
    r"|<[^<>\n]{0,500}>"  # HTML tags
    r"|\{[{%<][^\n]{0,500}?[}%>]\}"  # shortcodes and Liquid
)


def detect_language(title: str, body: str) -> Lang:
    """Return "zh" when CJK prose carries a fair share of the letters, else "en"."""
    sample = title + _MATHISH.sub(" ", _NOT_PROSE.sub(" ", _without_code(body[:SAMPLE])))
    cjk = len(_CJK.findall(sample))
    # Chinese prose carries far fewer characters per word than English, so a modest share decides.
    return "zh" if cjk and cjk * 4 >= len(_LATIN.findall(sample)) else "en"


def _without_code(text: str) -> str:
    kept: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0]
        elif fence is not None:
            if line.strip().startswith(fence * 3):
                fence = None
        elif not line.startswith(("    ", "\t")):
            kept.append(line)
    return "\n".join(kept)
