"""Fill messages with rendered blocks, splitting only what cannot fit a message of its own.

Every renderer turns blocks into nodes: a `Leaf` is never cut (a formula, a table row, a word of
markup); a `Chunk` (a list, a table, a code block, a long paragraph) may be cut between its items,
and then its `open` is repeated at the top of the next message and its `close` written at the
bottom of this one: a table's header row comes back, a code block is closed and reopened with its
language. Sizes are vectors (characters, blocks, media… whatever the platform limits), added up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Size = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Leaf:
    """Rendered text that is never cut, and what it costs."""

    text: str
    size: Size


@dataclass(frozen=True, slots=True)
class Chunk:
    """Rendered items between an opening and a closing that are repeated when the items are split."""

    open: Leaf
    items: tuple[Node, ...]
    close: Leaf
    size: Size


Node = Leaf | Chunk


def add(*sizes: Size) -> Size:
    """Add size vectors."""
    return tuple(map(sum, zip(*sizes, strict=True)))


def chunk(open_: Leaf, items: Sequence[Node], close: Leaf) -> Chunk:
    """Make a chunk whose size is its opening, its items and its closing together."""
    return Chunk(open_, tuple(items), close, add(open_.size, close.size, *(item.size for item in items)))


def pack(nodes: Sequence[Node], budget: Size, header: Size, separator: Leaf) -> list[str]:
    """Place nodes into as few messages as the budget allows; return each message's body.

    `header` is what every message spends before its body; `separator` goes between top-level
    nodes that share a message. A node is cut only when no message could hold it whole.
    """
    packer = _Packer(budget, header)
    for node in nodes:
        packer.top(node, separator)
    return packer.finish()


class _Packer:
    def __init__(self, budget: Size, header: Size) -> None:
        self.budget = budget
        self.header = header
        self.zero: Size = tuple(0 for _ in budget)
        self.parts: list[str] = []
        self.out: list[str] = []
        self.used = header
        self.stack: list[Chunk] = []
        self.closing = self.zero  # what closing every open chunk will cost
        self.fresh = True  # nothing placed in this message yet but its header and reopenings

    def fits(self, extra: Size, used: Size | None = None) -> bool:
        total = add(self.used if used is None else used, self.closing, extra)
        return all(value <= limit for value, limit in zip(total, self.budget, strict=True))

    def fits_fresh(self, extra: Size) -> bool:
        opened = add(self.header, *(c.open.size for c in self.stack)) if self.stack else self.header
        return self.fits(extra, opened)

    def top(self, node: Node, separator: Leaf) -> None:
        if self.fresh:
            self.place(node)
        elif self.fits(add(separator.size, node.size)):
            self.write(separator)
            self.write_node(node)
        elif isinstance(node, Leaf) or self.fits_fresh(node.size):
            self.next_message()
            self.place(node)
        elif self.fits(add(separator.size, node.open.size, node.close.size, _least(node.items, self.zero))):
            self.write(separator)  # no message holds it whole: start it in the room left here
            self.stream(node)
        else:
            self.next_message()
            self.place(node)

    def place(self, node: Node) -> None:
        if self.fits(node.size):
            self.write_node(node)
        elif not self.fresh and self.fits_fresh(node.size):
            self.next_message()
            self.write_node(node)
        elif isinstance(node, Leaf):
            if not self.fresh:
                self.next_message()
            self.write(node)  # a leaf bigger than a message: the renderers never make one
        else:
            self.stream(node)

    def stream(self, node: Chunk) -> None:
        # Open the chunk here only if its first item fits too: never a table of nothing but a header.
        least = _least(node.items, self.zero)
        if not self.fresh and not self.fits(add(node.open.size, node.close.size, least)):
            self.next_message()
        self.out.append(node.open.text)  # an opening alone leaves the message as fresh as it was
        self.used = add(self.used, node.open.size)
        self.stack.append(node)
        self.closing = add(self.closing, node.close.size)
        for item in node.items:
            self.place(item)
        self.stack.pop()
        self.closing = tuple(a - b for a, b in zip(self.closing, node.close.size, strict=True))
        self.write(node.close)

    def write(self, leaf: Leaf) -> None:
        self.out.append(leaf.text)
        self.used = add(self.used, leaf.size)
        self.fresh = False

    def write_node(self, node: Node) -> None:
        if isinstance(node, Leaf):
            self.write(node)
            return
        self.out.append(_flat(node))
        self.used = add(self.used, node.size)
        self.fresh = False

    def next_message(self) -> None:
        self.out += [c.close.text for c in reversed(self.stack)]
        self.parts.append("".join(self.out))
        self.out = [c.open.text for c in self.stack]
        self.used = add(self.header, *(c.open.size for c in self.stack)) if self.stack else self.header
        self.fresh = True

    def finish(self) -> list[str]:
        if self.out or not self.parts:
            self.parts.append("".join(self.out))
        return self.parts


def _least(items: tuple[Node, ...], zero: Size) -> Size:
    """Return the least of `items` a message must hold: the first leaf and the openings above it."""
    if not items:
        return zero
    first = items[0]
    if isinstance(first, Leaf):
        return first.size
    return add(first.open.size, first.close.size, _least(first.items, zero))


def _flat(node: Node) -> str:
    if isinstance(node, Leaf):
        return node.text
    return node.open.text + "".join(_flat(item) for item in node.items) + node.close.text


def flat(node: Node) -> str:
    """Return the node's whole text, as if it were never cut."""
    return _flat(node)
