"""A whole post as Telegram rich messages (Bot API 10.1 `sendRichMessage`, the `html` field).

One message when the post fits every limit; otherwise numbered parts split at block boundaries,
a block too big for any message split at its items, rows or lines. Limits are kept with a margin
(`BUDGET`); nesting depth and table width are kept by construction (see rich_blocks.py).
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from bot.content.full.document import Document, parse_document
from bot.content.full.facts import Facts, facts
from bot.content.full.layout import heading_shift
from bot.content.full.packing import Leaf, Node, Size, add, flat, pack
from bot.content.full.rich_blocks import BLOCK, NONE, RichBlocks, attribute, escape, text_leaf
from bot.content.full.rich_measure import MAX_MEDIA, RichSize, measure_rich
from bot.content.i18n import t
from bot.content.models import FullPost

__all__ = ["BUDGET", "RichSize", "measure_rich", "render_document", "render_rich"]

BUDGET: Size = (32_000, 480, MAX_MEDIA)  # characters, blocks, media: 768 characters and 20 blocks spare
_SEPARATOR = Leaf("", NONE)
_WIDEST = 999  # header room is reserved for part numbers up to (999/999)


def render_rich(post: FullPost, zone: tzinfo = UTC) -> list[str]:
    """Render the post as rich HTML strings, one per message, in order."""
    return render_document(parse_document(post), facts(post, zone))


def render_document(document: Document, about: Facts) -> list[str]:
    """Render a parsed post under its header facts."""
    nodes = RichBlocks(heading_shift(document.blocks), BUDGET).blocks(document.blocks, 1)
    if document.truncated:
        nodes.append(_truncation(about))
    single = _header(about, 1, 1)
    if _fits(add(single.size, *(node.size for node in nodes))):
        return [single.text + "".join(flat(node) for node in nodes)]
    widest = [_header(about, 1, _WIDEST).size, _header(about, _WIDEST, _WIDEST).size]
    reserve = tuple(max(sizes) for sizes in zip(*widest, strict=True))
    bodies = pack(nodes, BUDGET, reserve, _SEPARATOR)
    if len(bodies) == 1:
        return [single.text + bodies[0]]
    return [_header(about, number, len(bodies)).text + body for number, body in enumerate(bodies, 1)]


def _fits(size: Size) -> bool:
    return all(value <= limit for value, limit in zip(size, BUDGET, strict=True))


def _header(about: Facts, number: int, parts: int) -> Leaf:
    """Build a part's header: title, cover, category · date · edited · (1/n) · link; later: title, (k/n)."""
    if number > 1:
        title = text_leaf(f"<h2>{escape(about.title)}</h2>", about.title, blocks=1)
        label = about.part(number, parts)
        return _join(title, text_leaf(f"<p>{escape(label)}</p>", label, blocks=1))
    leaves = [text_leaf(f"<h1>{escape(about.title)}</h1>", about.title, blocks=1)]
    if about.cover:
        alt = attribute(about.title)
        leaves.append(text_leaf(f'<img src="{attribute(about.cover)}" alt="{alt}"/>', about.title, 1, 1))
    line = [text_leaf(f"<i>{escape(about.category)}</i>", about.category)] if about.category else []
    shown = [*about.meta()[1:], *([about.part(1, parts)] if parts > 1 else [])]
    line += [text_leaf(escape(word), word) for word in shown]
    if about.url:
        word = t("full_original", about.lang)
        line.append(text_leaf(f'<a href="{attribute(about.url)}">{escape(word)}</a>', word))
    dot = text_leaf(" · ", " · ")
    spaced = [leaf for index, leaf in enumerate(line) for leaf in ((dot, leaf) if index else (leaf,))]
    leaves.append(_join(Leaf("<p>", BLOCK), *spaced, Leaf("</p>", NONE)))
    return _join(*leaves)


def _truncation(about: Facts) -> Node:
    if about.url is None:
        note = t("full_truncated_here", about.lang)
        return text_leaf(f"<p><i>{escape(note)}</i></p>", note, blocks=1)
    note, word = t("full_truncated", about.lang), t("full_original", about.lang)
    markup = f'<p><i>{escape(note)}</i> <a href="{attribute(about.url)}">{escape(word)}</a></p>'
    return text_leaf(markup, f"{note} {word}", blocks=1)


def _join(*leaves: Leaf) -> Leaf:
    return Leaf("".join(leaf.text for leaf in leaves), add(*(leaf.size for leaf in leaves)))
