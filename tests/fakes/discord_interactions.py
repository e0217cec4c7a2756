"""The interaction side of the fake Discord API: payloads the bot is fed, and the answers it gives."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_payloads import (
    JSON,
    ApiError,
    FakeChannel,
    FakeMessage,
    channel_object,
    check_message,
    form_error,
    member_object,
    message_object,
    user_object,
)

GUILD = 800_000_000_000_000_001
DEADLINE = 3.0  # Discord forgets an interaction not answered within three seconds
# What a bot that may post in a channel has: View Channel, Send Messages, Embed Links, Send in Threads.
CAN_POST = 1024 | 2048 | 16384 | 274_877_906_944
CAN_THREAD = CAN_POST | 34_359_738_368  # ... and Create Public Threads


@dataclass
class FakeInteraction:
    """An interaction the fake handed to the bot, and what the bot answered."""

    id: int
    token: str
    payload: JSON
    created: float
    callbacks: list[JSON] = field(default_factory=list)  # each {"type": n, "data": {...}}
    original: FakeMessage | None = None  # the reply (or, for buttons, the message they sit on)
    followups: list[FakeMessage] = field(default_factory=list)

    @property
    def answered_type(self) -> int | None:
        """Type of the first answer: 4 reply, 5 defer, 6 deferred update, 7 update, 8 choices."""
        return self.callbacks[0]["type"] if self.callbacks else None


class InteractionRoutes:
    """Mixed into FakeDiscord: create interactions, then take the bot's callbacks and follow-ups."""

    channels: dict[int, FakeChannel]
    interactions: dict[int, FakeInteraction]
    application_id: int
    bot_id: int
    bot_user: JSON
    strict_mentions: bool
    _ids: itertools.count[int]
    _clock: Callable[[], float]

    def add_channel(self, channel_id: int, kind: int = 0, **options: Any) -> FakeChannel:
        raise NotImplementedError

    def new_interaction(
        self, kind: int, data: JSON, *, channel_id: int, user_id: int = 4242, locale: str = "en-US",
        permissions: int = 0, app_permissions: int = CAN_POST, message: FakeMessage | None = None,
        resolved_permissions: int | None = None,
    ) -> JSON:  # fmt: skip
        """Build an INTERACTION_CREATE payload the bot can be fed, and remember its token."""
        interaction_id = next(self._ids)
        token = f"itoken-{interaction_id}"
        channel = self.channels.get(channel_id) or self.add_channel(channel_id)
        user = user_object(user_id, f"user{user_id}")
        payload: JSON = {
            "id": str(interaction_id), "application_id": str(self.application_id), "type": kind,
            "token": token, "version": 1, "channel_id": str(channel_id), "locale": locale,
            "app_permissions": str(app_permissions), "entitlements": [], "attachment_size_limit": 10_485_760,
            "data": data,
            "channel": channel_object(channel, self.bot_id) | {"permissions": str(permissions)},
        }  # fmt: skip
        if channel.guild_id is None:
            payload |= {"user": user, "context": 1, "authorizing_integration_owners": {"1": str(user_id)}}
        else:
            payload |= {"guild_id": str(channel.guild_id), "guild_locale": "en-US", "context": 0}
            payload |= {
                "member": member_object(user, permissions),
                "authorizing_integration_owners": {"0": str(GUILD)},
            }
        if kind in (2, 4):
            data.setdefault("id", str(next(self._ids)))
            data.setdefault("type", 1)
            self._resolve(data, resolved_permissions if resolved_permissions is not None else permissions)
        if message is not None:
            payload["message"] = message_object(message, self.bot_user)
        self.interactions[interaction_id] = FakeInteraction(
            interaction_id, token, payload, self._clock(), original=message
        )
        return payload

    def _resolve(self, data: JSON, permissions: int) -> None:
        """Fill ``resolved.channels`` for channel options as Discord does: with the user's permissions."""
        for option in data.get("options", []):
            if option.get("type") == 7:
                channel = self.channels.get(int(option["value"])) or self.add_channel(int(option["value"]))
                shown = channel_object(channel, self.bot_id) | {"permissions": str(permissions)}
                data.setdefault("resolved", {}).setdefault("channels", {})[option["value"]] = shown

    def _interaction(self, request: web.Request) -> FakeInteraction:
        token = request.match_info["token"]
        found = next((i for i in self.interactions.values() if i.token == token), None)
        if found is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return found

    async def _callback(self, request: web.Request, body: Any) -> JSON | None:
        interaction = self.interactions.get(int(request.match_info["interaction"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        if self._clock() - interaction.created > DEADLINE:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        kind, data = int(body.get("type", 0)), body.get("data") or {}
        if kind in (4, 7):
            check_message(data, strict_mentions=self.strict_mentions, editing=kind == 7)
        if kind == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                raise form_error("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            for i, choice in enumerate(choices):
                if (
                    not 1 <= len(str(choice.get("name", ""))) <= 100
                    or len(str(choice.get("value", ""))) > 100
                ):
                    raise form_error(
                        f"data.choices.{i}", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                    )
        if kind not in (1, 4, 5, 6, 7, 8, 9):
            raise form_error("type", "BASE_TYPE_CHOICES", "Value must be one of {1, 4, 5, 6, 7, 8, 9}.")
        interaction.callbacks.append({"type": kind, "data": data})
        if kind == 4 or kind == 5:
            channel_id = int(interaction.payload["channel_id"])
            interaction.original = FakeMessage(next(self._ids), channel_id, data)
        elif kind == 7 and interaction.original is not None:
            interaction.original.body = {**interaction.original.body, **data}
            interaction.original.edited = True
        if request.query.get("with_response") not in ("1", "true"):
            return None
        flags = int(data.get("flags") or 0)
        answer: JSON = {"id": str(interaction.id), "type": interaction.payload["type"]}
        answer |= {"response_message_loading": kind == 5, "response_message_ephemeral": bool(flags & 64)}
        if kind in (4, 5, 7) and interaction.original is not None:
            answer["response_message_id"] = str(interaction.original.id)
            message = message_object(interaction.original, self.bot_user, token_message=kind != 7)
            return {"interaction": answer, "resource": {"type": kind, "message": message}}
        return {"interaction": answer}

    async def _followup(self, request: web.Request, body: Any) -> JSON:
        interaction = self._interaction(request)
        if not interaction.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        check_message(body, strict_mentions=self.strict_mentions)
        loading = (
            interaction.answered_type == 5 and interaction.original is not None and not interaction.followups
        )
        message = FakeMessage(next(self._ids), int(interaction.payload["channel_id"]), body)
        if loading and interaction.original is not None:  # the first follow-up fills the "thinking…" reply
            message.id = interaction.original.id
            interaction.original.body = body
        interaction.followups.append(message)
        return message_object(message, self.bot_user, token_message=True)

    async def _edit_original(self, request: web.Request, body: Any) -> JSON:
        interaction = self._interaction(request)
        if not interaction.callbacks or interaction.original is None:
            raise ApiError(404, 10008, "Unknown Message")
        check_message(body, strict_mentions=self.strict_mentions, editing=True)
        interaction.original.body = {**interaction.original.body, **body}
        interaction.original.edited = True
        return message_object(interaction.original, self.bot_user, token_message=True)
