"""The thread side of the fake Discord API: public threads started from a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.discord_interactions import FakeInteraction
from tests.fakes.discord_payloads import (
    DM,
    HAS_THREAD,
    JSON,
    NEWS,
    PUBLIC_THREAD,
    TEXT,
    ApiError,
    FakeChannel,
    FakeMessage,
    channel_object,
    form_error,
)

NEWS_THREAD = 10
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


class ThreadRoutes:
    """Mixed into FakeDiscord: `POST /channels/{id}/messages/{id}/threads`, as Discord answers it."""

    channels: dict[int, FakeChannel]
    messages: dict[int, list[FakeMessage]]
    interactions: dict[int, FakeInteraction]
    bot_id: int
    _channel: Callable[[web.Request], FakeChannel]

    def add_channel(self, channel_id: int, kind: int = 0, **options: Any) -> FakeChannel:
        raise NotImplementedError

    def any_message(self, channel_id: int, message_id: int | str) -> FakeMessage:
        """Find a message the bot sent: a message of its own, or an interaction's reply or follow-up."""
        answers = [m for i in self.interactions.values() for m in (i.original, *i.followups) if m is not None]
        for message in [*self.messages.get(channel_id, []), *answers]:
            if message.channel_id == channel_id and str(message.id) == str(message_id):
                return message
        raise ApiError(404, 10008, "Unknown Message")

    def thread_on(self, message: FakeMessage) -> FakeChannel | None:
        """The thread started from a message (it has the message's id), if any."""
        return self.channels.get(message.id)

    async def _message_thread(self, request: web.Request, body: Any) -> JSON:
        """Start Thread from Message: a public thread whose id is the message's, one per message."""
        channel = self._channel(request)
        if channel.type == DM:
            raise ApiError(400, 50003, "Cannot execute action on a DM channel")
        if channel.type not in (TEXT, NEWS):  # threads do not nest; forums take posts instead
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message = self.any_message(channel.id, request.match_info["message"])
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if body.get("auto_archive_duration") not in (None, *ARCHIVE_DURATIONS):
            raise form_error("auto_archive_duration", "BASE_TYPE_CHOICES", "Must be 60, 1440, 4320 or 10080.")
        flags = int(message.body.get("flags") or 0)
        if flags & HAS_THREAD or message.id in self.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        kind = NEWS_THREAD if channel.type == NEWS else PUBLIC_THREAD
        guild = channel.guild_id
        thread = self.add_channel(message.id, kind, name=name, parent_id=channel.id, guild_id=guild)
        message.body = {**message.body, "flags": flags | HAS_THREAD}
        return channel_object(thread, self.bot_id)
