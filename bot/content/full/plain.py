"""A whole post as plain text for the console: headings underlined, code indented, math as Unicode."""

from __future__ import annotations

from datetime import UTC, tzinfo

from bot.content.full.document import Document, parse_document
from bot.content.full.facts import Facts, facts
from bot.content.full.layout import display_width, heading_shift
from bot.content.full.model import Image, Runs
from bot.content.full.packing import Leaf, Node, chunk, flat
from bot.content.full.textual import Dialect, math_text
from bot.content.i18n import t
from bot.content.models import FullPost

_UNDERLINES = {1: "=", 2: "-"}
_CODE_INDENT = "    "


class _Plain(Dialect):
    def leaf(self, markup: str, shown: str) -> Leaf:
        return Leaf(markup, (len(markup),))

    def text(self, text: str) -> str:
        return text

    def inline(self, runs: Runs) -> list[Leaf]:
        leaves: list[Leaf] = []
        for index, run in enumerate(runs):
            text = "\n" if run.kind == "break" else run.text
            if run.kind == "math":
                text = math_text(run.text) or run.text
            elif run.kind == "code":
                text = f"`{text}`"  # code reads as code in a terminal too
            leaves.append(self.leaf(text, text))
            following = runs[index + 1].href if index + 1 < len(runs) else None
            if run.href and following != run.href and run.href != text:
                leaves.append(self.leaf(f" ({run.href})", ""))  # after the link's last run
        return leaves

    def code(self, code: str, language: str) -> Node:
        lines = [_CODE_INDENT + line if line.strip() else "" for line in code.split("\n")]
        return chunk(self.leaf("", ""), self.code_lines("\n".join(lines), escape=False), self.leaf("", ""))

    def heading(self, runs: Runs, level: int) -> Node:
        text = "".join(leaf.text for leaf in self.inline(tuple(r for r in runs if r.kind != "break")))
        if level in _UNDERLINES:
            return self.leaf(f"{text}\n{_UNDERLINES[level] * max(display_width(text), 3)}", "")
        return self.leaf("#" * level + " " + text, "")

    def quote(self, nodes: list[Node]) -> Node:
        text = "> " + "".join(flat(node) for node in nodes).replace("\n", "\n> ")
        return self.leaf(text.replace("> \n", ">\n"), "")

    def image(self, image: Image) -> Node:
        return self.leaf(f"[{image.alt or self.image_word}] {image.url}", "")

    def grid(self, lines: list[str]) -> Node:
        return self.leaf("\n".join("  " + line for line in lines), "")


def render_plain(post: FullPost, zone: tzinfo = UTC) -> str:
    """Render the whole post as plain text, header first."""
    return render_document(parse_document(post), facts(post, zone))


def render_document(document: Document, about: Facts) -> str:
    """Render a parsed post under its header facts."""
    dialect = _Plain(heading_shift(document.blocks), t("full_image", about.lang))
    head = [about.title, "=" * max(display_width(about.title), 3)]
    head.append(" · ".join(word for word in about.meta() if word))
    if about.url:
        head.append(about.url)
    body = [flat(node) for node in dialect.blocks(document.blocks)]
    if document.truncated:
        note = f"{t('full_truncated', about.lang)} {about.url}" if about.url else ""
        body.append(note or t("full_truncated_here", about.lang))
    return "\n\n".join(["\n".join(head), *body]) + "\n"
