"""Remove what static-site generators put in Markdown that is not prose, before Markdown runs.

Hugo shortcodes, Liquid/Jinja tags, MDX imports/exports/comments/components, admonition markers,
kramdown attribute lists and TOC placeholders, footnotes, HTML containers around Markdown, and the
author's "more" marker. Every pattern is linear or bounded: this runs on files nobody vetted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

_MORE = re.compile(r"<!--\s*(?:more|truncate)\s*-->|\{/\*\s*truncate\s*\*/\}", re.IGNORECASE)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_TAGS = {
    "highlight": "endhighlight",
    "codeblock": "endcodeblock",
    "code": "endcode",
    "comment": "endcomment",
}
_LIQUID_BLOCK = re.compile(r"\s*\{%-?\s*(highlight|codeblock|code|comment)\b[^\n]{0,300}?-?%\}\s*$")
_SHORTCODE_CODE = re.compile(r"\s*\{\{[<%]\s*(highlight|code)\b[^\n]{0,300}?[>%]\}\}\s*$")
_SHORTCODE_CODE_END = re.compile(r"\s*\{\{[<%]\s*/(highlight|code)\s*[>%]\}\}\s*$")
_MDX_IMPORT = re.compile(
    r"(?:import\s[^\n]{0,500}?\sfrom\s+['\"][^'\"\n]{1,300}['\"]|import\s+['\"][^'\"\n]{1,300}['\"])\s*;?\s*"
)
_MDX_EXPORT = re.compile(r"export\s+(?:default\s|const\s|let\s|function\s|\{)")
_ADMONITION_DOCUSAURUS = re.compile(r"\s{0,3}:::+\s*[\w-]*[^\n]{0,200}")
# MkDocs admonitions (`!!! note`, `??? tip`) and content tabs (`=== "pip"`): indented bodies.
_ADMONITION_MKDOCS = re.compile(r"(?:!!!|\?\?\?\+?)\s+[\w-]+[^\n]{0,200}|===\+?\s+\"[^\n]{0,200}")
_KRAMDOWN_LINE = re.compile(
    r"\s*(?:\{:[^\n]{0,300}\}|\{::[^\n]{0,300}\}|\*\s+TOC|\[\[?_?TOC_?\]\]?|\[toc\]|\{\{[<%]\s*toc\s*[>%]\}\})\s*",
    re.IGNORECASE,
)
_FOOTNOTE_DEFINITION = re.compile(r" {0,3}\[\^[^\]\n]{1,100}\]:")
_ABBREVIATION = re.compile(r" {0,3}\*\[[^\]\n]{1,100}\]:")  # kramdown / PHP Markdown Extra
_CONTAINER = (
    r"(?:div|figure|figcaption|details|summary|center|section|article|aside|span|font|p|small|big|main"
    r"|header|footer|nav)"
)
_CONTAINER_LINE = re.compile(rf"\s*(?:</?{_CONTAINER}\b[^<>\n]{{0,500}}>\s*)+", re.IGNORECASE)
_INLINE = re.compile(
    r"\{\{[<%][^\n]{0,500}?[>%]\}\}"  # Hugo shortcodes
    r"|\{%-?[^\n]{0,500}?-?%\}"  # Liquid / Jinja tags
    r"|\{\{[^\n{}]{0,500}\}\}"  # Liquid / Jinja output
    r"|\{/\*[^\n]{0,2000}?\*/\}"  # MDX comments
    r"|\{:[^\n{}]{0,300}\}"  # kramdown attribute lists
    r"|\[\^[^\]\n]{1,100}\](?!:)"  # footnote references
    r"|</?[A-Z][A-Za-z0-9.]{0,60}(?:\s[^<>\n]{0,500}?)?/?>"  # MDX / JSX components
    rf"|</?{_CONTAINER}\b[^<>\n]{{0,500}}>",  # HTML containers (their text is kept)
    re.IGNORECASE,
)
# `[text][ref]` reads as its text whether or not the definition is in view; an image reads as nothing.
_REFERENCE_LINK = re.compile(r"(!?)\[([^\[\]\n]{1,300})\]\[[^\[\]\n]{0,100}\]")
# `python`, `c++`, `objective-c`, `f#`: what a fence's info string or a code tag names first.
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
_NAMED_LANGUAGE = re.compile(r"\blang(?:uage)?\s*[:=]\s*[\"']?([A-Za-z0-9_+#.-]{1,40})")
_JSX_EXPRESSION = re.compile(r"\s*\{[\w.$]{1,200}\}\s*")  # an MDX line that only shows a variable


def split_at_more(body: str) -> tuple[str, bool]:
    """Cut the body at the author's "more"/"truncate" marker; say whether one was found."""
    match = _MORE.search(body)
    if match is None:
        return body, False
    return body[: match.start()], True


@dataclass(slots=True)
class Prefix:
    """The start of a post, cleaned, with code blocks replaced by markers."""

    text: str
    more: bool  # text was left out after the prefix


def take_prefix(body: str, code_marker: Callable[[], str], enough: int, hard: int) -> Prefix:
    """Clean the body line by line and keep the start a reader can see.

    Stops at a paragraph break once `enough` characters are kept, or at `hard` characters in any
    case. Code (fences, Liquid `highlight`, Hugo `highlight`) becomes `code_marker()`.
    """
    return _walk(body, lambda _language: code_marker(), None, enough, hard)


def clean_body(body: str, code_open: Callable[[str], str], code_line: Callable[[str], None]) -> str:
    """Clean the whole body line by line, keeping what code blocks hold.

    Each code block becomes `code_open(language)` (`""` when none is given); its lines, without
    the fences or tags around them, are handed to `code_line` one by one, in order.
    """
    return _walk(body, code_open, code_line, sys.maxsize, sys.maxsize).text


def _walk(
    body: str, code_open: _CodeOpen, code_line: Callable[[str], None] | None, enough: int, hard: int
) -> Prefix:
    out: list[str] = []
    size = 0
    end_of_block: Callable[[str], bool] | None = None
    in_code = indented_admonition = skip_indented = mdx_import_open = False
    lines = body.split("\n")
    for number, line in enumerate(lines):
        if end_of_block is not None:
            if end_of_block(line):
                end_of_block = None
            elif in_code and code_line is not None:
                code_line(line)
            continue
        if mdx_import_open:
            mdx_import_open = not re.search(r"\sfrom\s+['\"]", line[:600])
            continue
        blank = not line.strip()
        if blank and size > enough:
            return Prefix("\n".join(out), more=any(item.strip() for item in lines[number:]))
        if size > hard:
            return Prefix("\n".join(out), more=True)
        if skip_indented:
            if blank or line[:1] in " \t":
                continue
            skip_indented = False
        if indented_admonition:
            if line.startswith("    ") or line.startswith("\t"):
                line = line[4:] if line.startswith("    ") else line[1:]
            elif not blank:
                indented_admonition = False
        kept, end_of_block, flags = _classify(line[: hard + 1], code_open)
        in_code = flags == "code"
        indented_admonition |= flags == "admonition"
        skip_indented |= flags == "footnote"
        mdx_import_open |= flags == "import"
        if kept is not None:
            out.append(kept)
            size += len(kept) + 1
    return Prefix("\n".join(out), more=False)


def _classify(line: str, code_open: _CodeOpen) -> _Kind:
    """Decide what one line is: (text to keep or None, the end test of a block it opens, flag)."""
    fence = _FENCE.match(line)
    if fence is not None:
        mark = fence.group(1)
        return "\n" + code_open(_language(line[fence.end() :])) + "\n", _fence_end(mark), "code"
    stripped = line.strip()
    if not stripped:
        return line, None, ""
    if stripped[0] == "{":
        braced = _classify_braced(line, stripped, code_open)
        if braced is not None:
            return braced
    if stripped.startswith(("import ", "import{")):
        if _MDX_IMPORT.fullmatch(stripped):
            return None, None, ""
        if stripped.startswith(("import {", "import{")) and " from " not in stripped:
            return None, None, "import"
    if stripped.startswith("export ") and _MDX_EXPORT.match(stripped):
        return None, _export_end(stripped), ""
    if stripped.startswith(":::") and _ADMONITION_DOCUSAURUS.fullmatch(line):
        return "", None, ""
    if stripped[0] in "!?=" and _ADMONITION_MKDOCS.fullmatch(line):
        return "", None, "admonition"
    if _KRAMDOWN_LINE.fullmatch(line):
        return None, None, ""
    if stripped.startswith("[^") and _FOOTNOTE_DEFINITION.match(line):
        return None, None, "footnote"
    if stripped.startswith("*[") and _ABBREVIATION.match(line):
        return None, None, ""
    if stripped.startswith("<!--") and "-->" not in stripped:
        return None, lambda text: "-->" in text, ""
    if stripped[0] == "<" and _CONTAINER_LINE.fullmatch(line):
        return "", None, ""  # a blank line, so Markdown inside the container is read as Markdown
    return line, None, ""


_Kind = tuple[str | None, Callable[[str], bool] | None, str]
_CodeOpen = Callable[[str], str]  # a code block's language -> the text that stands for the block


def _classify_braced(line: str, stripped: str, code_open: _CodeOpen) -> _Kind | None:
    """Lines starting with `{`: Liquid blocks, Hugo code shortcodes, MDX comments, kramdown."""
    liquid = _LIQUID_BLOCK.fullmatch(line)
    if liquid is not None:
        closing = _CODE_TAGS[liquid.group(1)]
        if liquid.group(1) == "comment":
            return None, _liquid_end(closing), ""
        shown = "\n" + code_open(_language(line[liquid.end(1) :], liquid.group(1))) + "\n"
        return shown, _liquid_end(closing), "code"
    shortcode = _SHORTCODE_CODE.fullmatch(line)
    if shortcode is not None:
        return (
            "\n" + code_open(_language(line[shortcode.end(1) :], shortcode.group(1))) + "\n",
            lambda text: _SHORTCODE_CODE_END.fullmatch(text) is not None,
            "code",
        )
    if stripped.startswith("{/*"):
        if "*/}" in stripped:
            return _INLINE.sub(" ", line) if not stripped.endswith("*/}") else None, None, ""
        return None, lambda text: "*/}" in text, ""
    if _KRAMDOWN_LINE.fullmatch(line) or _JSX_EXPRESSION.fullmatch(line):
        return None, None, ""
    return None


def _language(info: str, tag: str = "") -> str:
    """Read a code block's language from a fence's info string or a code tag's arguments."""
    if tag:
        named = _NAMED_LANGUAGE.search(info[:300])
        if named is not None:
            return named.group(1)
        if tag != "highlight":
            return ""  # Hexo's `{% codeblock Title lang:js %}` starts with a title, not a language
    match = _LANGUAGE.match(info.strip().lstrip("{.").lstrip()[:100])
    return match.group() if match is not None else ""


def clean_inline(text: str) -> str:
    """Remove generator syntax inside lines: shortcodes, Liquid, MDX, attribute lists, footnotes."""
    if "<" in text:
        text = _without_scripts(text)
    if "{" in text or "[" in text or "<" in text:
        text = _INLINE.sub(" ", text)
        text = _REFERENCE_LINK.sub(lambda m: "" if m.group(1) else m.group(2), text)
    return text


def _without_scripts(text: str) -> str:
    """Drop `<script>` and `<style>` elements with their content (one pass, no backtracking)."""
    lowered = text.lower()
    out: list[str] = []
    position = 0
    while True:
        found = [i for i in (lowered.find("<script", position), lowered.find("<style", position)) if i >= 0]
        start = min(found, default=-1)
        if start < 0:
            out.append(text[position:])
            return "".join(out)
        name = "script" if lowered.startswith("<script", start) else "style"
        end = lowered.find(f"</{name}", start)
        out.append(text[position:start] + " ")
        if end < 0:
            return "".join(out)
        close = lowered.find(">", end)
        position = len(text) if close < 0 else close + 1


def _fence_end(mark: str) -> Callable[[str], bool]:
    char, length = mark[0], len(mark)

    def closes(line: str) -> bool:
        stripped = line.strip()
        return stripped.startswith(char * length) and not stripped.strip(char)

    return closes


def _liquid_end(closing: str) -> Callable[[str], bool]:
    pattern = re.compile(r"\{%-?\s*" + re.escape(closing) + r"\s*-?%\}")
    return lambda line: pattern.search(line[:2000]) is not None


def _export_end(first: str) -> Callable[[str], bool] | None:
    # A one-line export ends here; a multi-line one (an object or a function) at its closing line.
    if first.rstrip().endswith((";", "}", ")")) or (
        "=" in first and not first.rstrip().endswith(("{", "(", "["))
    ):
        return None
    return lambda line: line[:1] in "})]" or line.rstrip().endswith(("};", "})", "];"))
