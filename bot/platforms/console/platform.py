"""Print transmissions to a text stream and answer commands typed on stdin."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import tzinfo
from itertools import count
from typing import TextIO

from bot.broadcast.sender import Target
from bot.content.i18n import t
from bot.content.models import FullPost, Lang, Notice, Transmission, View
from bot.content.render.text import render_full, render_view
from bot.services.subscriptions import Chat

CONSOLE_CHAT_ID = "stdout"
MAX_LINE_CHARS = 4096  # a longer typed line is cut (a terminal's own line buffer holds about 4 KB)
_READ_BYTES = 65536
log = logging.getLogger(__name__)


def printable(text: str, stream: TextIO) -> str:
    """Return `text` as `stream` can encode it: what it can't (or a lone surrogate) becomes '?'.

    A terminal in the C locale, a pipe opened as ASCII, or a pasted line cut in the middle of a
    character must never make printing raise UnicodeEncodeError.
    """
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, "replace").decode(encoding, "replace")
    except LookupError:
        return text.encode("ascii", "replace").decode("ascii")


class ConsolePlatform:
    """The platform used when no bot token is configured: everything goes to the terminal."""

    name = "console"

    def __init__(self, out: TextIO, zone: tzinfo) -> None:
        self._out = out
        self._zone = zone
        self._ids = count(1)

    def show(self, view: View | FullPost) -> None:
        """Print a view (or a whole post) followed by a blank line."""
        text = render_full(view, self._zone) if isinstance(view, FullPost) else render_view(view, self._zone)
        self._out.write(printable(text + "\n\n", self._out))
        self._out.flush()

    async def send(self, target: Target, view: View | FullPost) -> list[str]:
        """Print the view; the id is a running number."""
        self.show(view)
        return [str(next(self._ids))]

    async def edit(self, target: Target, message_ids: list[str], view: View | FullPost) -> None:
        """Print the new version (a terminal cannot change what it printed), marked as edited."""
        self.show(replace(view, edited=True) if isinstance(view, Transmission | FullPost) else view)

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Nothing to delete on a terminal."""


# The shared commands' answer: `/post <slug> full` answers with the whole post.
Answer = Callable[[str, Chat], Awaitable[View | FullPost | None]]


class ConsoleInput:
    """Read command lines from a terminal without blocking the event loop."""

    def __init__(self, platform: ConsolePlatform, answer: Answer, lang: Lang) -> None:
        self._platform = platform
        self._answer = answer
        # Whoever sits at the terminal runs the bot: they administer the console "chat".
        self._chat = Chat("console", CONSOLE_CHAT_ID, title="terminal", is_admin=True, lang=lang)
        self._tasks: set[asyncio.Task[None]] = set()
        self._partial = b""

    def attach(self, stream: TextIO = sys.stdin) -> bool:
        """Start answering lines typed on `stream`; False when it is not an interactive terminal."""
        if not stream.isatty():
            return False
        loop = asyncio.get_running_loop()
        loop.add_reader(stream.fileno(), self._on_readable, stream)
        return True

    def detach(self, stream: TextIO = sys.stdin) -> None:
        """Stop reading the terminal."""
        if stream.isatty():
            asyncio.get_running_loop().remove_reader(stream.fileno())

    def _on_readable(self, stream: TextIO) -> None:
        # Raw bytes, decoded leniently: a paste cut mid-character must not raise UnicodeDecodeError,
        # and lines that arrive together are all answered (a buffered readline would keep the rest).
        try:
            chunk = os.read(stream.fileno(), _READ_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            log.warning("stopped reading the terminal: %s", exc)
            chunk = b""
        if not chunk:
            self.detach(stream)
            return
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        self._partial = self._partial[-4 * MAX_LINE_CHARS :]  # a line without end stays bounded
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                task = asyncio.get_running_loop().create_task(self.handle(line))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def handle(self, line: str) -> None:
        """Answer one typed line; the leading slash is optional on a terminal."""
        line = line[:MAX_LINE_CHARS]
        if not line.startswith("/"):
            line = "/" + line
        try:
            view = await self._answer(line, self._chat)
            if view is not None:
                self._platform.show(view)
        except Exception:  # one bad line must not end the console
            log.exception("console command failed: %s", printable(line[:80], sys.stderr))
            self._platform.show(Notice(t("internal_error", self._chat.lang), self._chat.lang, is_error=True))
