"""A whole post as classic Telegram HTML messages (sendMessage, parse_mode HTML).

The fallback for servers without rich messages. Only <b> <i> <u> <s> <code> <pre> <a href>
<blockquote>: headings are bold lines, lists labelled lines, tables <pre> grids, images links,
formulas Unicode or <code>.

Each part holds at most 4,000 visible characters (Telegram allows 4,096, counted as code points
after entity parsing) and 32,000 bytes of raw HTML (it refuses over 32,768 before parsing).
"""

from __future__ import annotations

import html
from datetime import UTC, tzinfo

from bot.content.full.document import Document, parse_document
from bot.content.full.facts import Facts, facts
from bot.content.full.layout import heading_shift
from bot.content.full.model import BOLD, ITALIC, STRIKE, Image, Runs
from bot.content.full.packing import Leaf, Node, Size, add, chunk, flat, pack
from bot.content.full.runs import pieces
from bot.content.full.textual import Dialect, math_text
from bot.content.i18n import t
from bot.content.models import FullPost
from bot.content.render.telegram import MAX_RAW_BYTES, MAX_TEXT

BUDGET: Size = (MAX_TEXT - 96, MAX_RAW_BYTES - 768)  # visible characters, raw bytes
_STYLES = ((BOLD, "b"), (ITALIC, "i"), (STRIKE, "s"))
_WIDEST = 999


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _link(href: str, inner: str) -> str:
    return f'<a href="{html.escape(href, quote=True)}">{inner}</a>'


class _Classic(Dialect):
    def leaf(self, markup: str, shown: str) -> Leaf:
        return Leaf(markup, (len(shown), len(markup.encode())))

    def text(self, text: str) -> str:
        return _escape(text)

    def inline(self, runs: Runs) -> list[Leaf]:
        leaves: list[Leaf] = []
        for run in runs:
            if run.kind == "break":
                leaves.append(self.leaf("\n", "\n"))
            elif run.kind == "math" and (readable := math_text(run.text)) is not None:
                leaves.append(self.leaf(_wrap(_escape(readable), run.style, run.href), readable))
            elif run.kind in ("math", "code"):
                # <code> can't sit inside a link: a linked formula or code span keeps the link.
                inner = _escape(run.text) if run.href else f"<code>{_escape(run.text)}</code>"
                leaves.append(self.leaf(_wrap(inner, run.style, run.href), run.text))
            else:
                leaves += [self.leaf(_wrap(_escape(p), run.style, run.href), p) for p in pieces(run.text)]
        return leaves

    def code(self, code: str, language: str) -> Node:
        opening = f'<pre><code class="language-{language}">' if language else "<pre>"
        closing = "</code></pre>" if language else "</pre>"
        return chunk(self.leaf(opening, ""), self.code_lines(code), self.leaf(closing, ""))

    def quote(self, nodes: list[Node]) -> Node:
        return chunk(self.leaf("<blockquote>", ""), nodes, self.leaf("</blockquote>", ""))

    def image(self, image: Image) -> Node:
        alt = image.alt or self.image_word
        return self.leaf("🖼 " + _link(image.url, _escape(alt)), "🖼 " + alt)

    def grid(self, lines: list[str]) -> Node:
        head = lines[0] + "\n" + lines[1] + "\n"
        rows = [self.leaf(_escape(line + "\n"), line + "\n") for line in lines[2:]]
        return chunk(self.leaf("<pre>" + _escape(head), head), rows, self.leaf("</pre>", ""))


def _wrap(inner: str, style: int, href: str | None) -> str:
    if href is not None:
        inner = _link(href, inner)
    for flag, tag in reversed(_STYLES):
        if style & flag:
            inner = f"<{tag}>{inner}</{tag}>"
    return inner


def render_classic(post: FullPost, zone: tzinfo = UTC) -> list[str]:
    """Render the post as Telegram HTML messages (parse_mode HTML), in order."""
    return render_document(parse_document(post), facts(post, zone))


def render_document(document: Document, about: Facts) -> list[str]:
    """Render a parsed post under its header facts."""
    dialect = _Classic(heading_shift(document.blocks), t("full_image", about.lang))
    nodes = dialect.blocks(document.blocks)
    if document.truncated:
        nodes.append(_truncation(dialect, about))
    separator = dialect.leaf("\n\n", "\n\n")
    single = _header(dialect, about, 1, 1)
    spacing = [separator.size] * max(len(nodes) - 1, 0)
    if _fits(add(single.size, *spacing, *(node.size for node in nodes))):
        return [(single.text + "\n\n".join(flat(node) for node in nodes)).rstrip()]
    widest = [_header(dialect, about, 1, _WIDEST).size, _header(dialect, about, _WIDEST, _WIDEST).size]
    reserve = tuple(max(sizes) for sizes in zip(*widest, strict=True))
    bodies = pack(nodes, BUDGET, reserve, separator)
    if len(bodies) == 1:
        return [(single.text + bodies[0]).rstrip()]
    headers = [_header(dialect, about, n, len(bodies)).text for n in range(1, len(bodies) + 1)]
    return [(header + body).rstrip() for header, body in zip(headers, bodies, strict=True)]


def _fits(size: Size) -> bool:
    return all(value <= limit for value, limit in zip(size, BUDGET, strict=True))


def _header(dialect: _Classic, about: Facts, number: int, parts: int) -> Leaf:
    """`Title` · (k/n) on later parts; the first part adds category, date, edited and the link."""
    title = f"<b>{_escape(about.title)}</b>"
    if number > 1:
        label = about.part(number, parts)
        return dialect.leaf(f"{title} · {_escape(label)}\n\n", f"{about.title} · {label}\n\n")
    shown = [about.date, *([about.edited] if about.edited else [])]
    shown += [about.part(1, parts)] if parts > 1 else []
    words = ([f"<i>{_escape(about.category)}</i>"] if about.category else []) + [_escape(w) for w in shown]
    plain = [about.category] if about.category else []
    plain += shown
    if about.url:
        word = t("full_original", about.lang)
        words.append(_link(about.url, _escape(word)))
        plain.append(word)
    return dialect.leaf(f"{title}\n{' · '.join(words)}\n\n", f"{about.title}\n{' · '.join(plain)}\n\n")


def _truncation(dialect: _Classic, about: Facts) -> Node:
    if about.url is None:
        note = t("full_truncated_here", about.lang)
        return dialect.leaf(f"<i>{_escape(note)}</i>", note)
    note, word = t("full_truncated", about.lang), t("full_original", about.lang)
    return dialect.leaf(f"<i>{_escape(note)}</i> {_link(about.url, _escape(word))}", f"{note} {word}")
