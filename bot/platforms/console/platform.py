"""Print transmissions to a text stream and answer commands typed on stdin."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from itertools import count
from typing import TextIO

from bot.broadcast.platform import Target
from bot.content.models import Lang, View
from bot.content.render.text import render_view
from bot.subscriptions import Chat

CONSOLE_CHAT_ID = "stdout"


class ConsolePlatform:
    """The platform used when no bot token is configured: everything goes to the terminal."""

    name = "console"

    def __init__(self, out: TextIO, zone: tzinfo) -> None:
        self._out = out
        self._zone = zone
        self._ids = count(1)

    def show(self, view: View) -> None:
        """Print a view followed by a blank line."""
        self._out.write(render_view(view, self._zone) + "\n\n")
        self._out.flush()

    async def send(self, target: Target, view: View) -> list[str]:
        """Print the view; the id is a running number."""
        self.show(view)
        return [str(next(self._ids))]

    async def edit(self, target: Target, message_ids: list[str], view: View) -> None:
        """Print the new version (a terminal cannot change what it printed)."""
        self.show(view)

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Nothing to delete on a terminal."""


Answer = Callable[[str, Chat], Awaitable[View | None]]


class ConsoleInput:
    """Read command lines from a terminal without blocking the event loop."""

    def __init__(self, platform: ConsolePlatform, answer: Answer, lang: Lang) -> None:
        self._platform = platform
        self._answer = answer
        # Whoever sits at the terminal runs the bot: they administer the console "chat".
        self._chat = Chat("console", CONSOLE_CHAT_ID, title="terminal", is_admin=True, lang=lang)
        self._tasks: set[asyncio.Task[None]] = set()

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
        line = stream.readline()
        if line.strip():
            task = asyncio.get_running_loop().create_task(self.handle(line.strip()))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def handle(self, line: str) -> None:
        """Answer one typed line; the leading slash is optional on a terminal."""
        if not line.startswith("/"):
            line = "/" + line
        view = await self._answer(line, self._chat)
        if view is not None:
            self._platform.show(view)
