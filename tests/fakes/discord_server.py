"""A local fake Discord REST API on 127.0.0.1 that answers like Discord, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.discord_interactions import GUILD, FakeInteraction, InteractionRoutes
from tests.fakes.discord_payloads import (
    DM,
    FORUMS,
    JSON,
    PUBLIC_THREAD,
    TAKES_MESSAGES,
    TEXT,
    ApiError,
    FakeChannel,
    FakeMessage,
    channel_object,
    check_commands,
    check_message,
    form_error,
    message_object,
    user_object,
)
from tests.fakes.discord_threads import ThreadRoutes

Handler = Callable[[web.Request, Any], Awaitable[Any]]
_UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")


@dataclass(frozen=True)
class RecordedRequest:
    """One API call as the fake received it."""

    method: str
    path: str
    body: Any
    time: float
    status: int


class FakeDiscord(InteractionRoutes, ThreadRoutes):
    """Fake Discord REST API: validates bodies, enforces rate limits on an injected clock, fails on cue."""

    def __init__(
        self,
        *,
        token: str = "fake-discord-token",
        enforce_limits: bool = True,
        per_channel: int = 5,
        channel_window: float = 5.0,
        global_per_s: int = 50,
        clock: Callable[[], float] = time.monotonic,
        strict_mentions: bool = True,
        latency: float = 0.0,
    ) -> None:
        self.token, self.enforce_limits, self.strict_mentions = token, enforce_limits, strict_mentions
        self.latency = latency  # a round trip's network time, half each way (benchmarks; tests keep 0)
        self.per_channel, self.channel_window, self.global_per_s = per_channel, channel_window, global_per_s
        self.application_id, self.bot_id = 900_000_000_000_000_001, 900_000_000_000_000_002
        self.bot_user = user_object(self.bot_id, "Transmission", bot=True)
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, list[FakeMessage]] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[int | None, list[JSON]] = {}  # guild id (None = global) -> live commands
        self.syncs: list[tuple[int | None, list[JSON]]] = []
        self.sync_error: ApiError | None = None  # set to refuse the next command sync with it
        self.requests: list[RecordedRequest] = []
        self.rate_limited = 0
        self.port = 0
        self._clock = clock
        self._ids = itertools.count(1_300_000_000_000_000_000)
        self._scripted: dict[int, deque[ApiError]] = {}
        self._later: dict[int, tuple[int, ApiError]] = {}  # channel -> (calls still answered, then this)
        self._refused: dict[int, ApiError] = {}
        self._sent_all: deque[float] = deque()
        self._buckets: dict[int, tuple[float, int]] = {}  # channel -> (its window's start, sends in it)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()

    @property
    def base_url(self) -> str:
        """What to put in ``discord.http.Route.BASE``."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self._me, True),
            ("GET", "/oauth2/applications/@me", self._application, True),
            ("GET", "/channels/{channel}", self._get_channel, True),
            ("DELETE", "/channels/{channel}", self._delete_channel, True),
            ("POST", "/channels/{channel}/messages", self._create, True),
            ("PATCH", "/channels/{channel}/messages/{message}", self._edit, True),
            ("DELETE", "/channels/{channel}/messages/{message}", self._delete, True),
            ("POST", "/channels/{channel}/threads", self._forum_post, True),
            ("POST", "/channels/{channel}/messages/{message}/threads", self._message_thread, True),
            ("PUT", "/applications/{app}/commands", self._sync, True),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._sync, True),
            ("POST", "/interactions/{interaction}/{token}/callback", self._callback, False),
            ("POST", "/webhooks/{app}/{token}", self._followup, False),
            ("PATCH", "/webhooks/{app}/{token}/messages/@original", self._edit_original, False),
        ]
        for method, path, handler, bot in routes:
            app.router.add_route(method, f"/api/v10{path}", self._wrap(handler, bot))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Shut the server down."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- the world and scripted failures ------------------------------------------------------------------

    def add_channel(self, channel_id: int, kind: int = TEXT, **options: Any) -> FakeChannel:
        """Create a channel (text by default; ids never added are text channels of GUILD on first use)."""
        guild = None if kind == DM else options.pop("guild_id", GUILD)
        channel = FakeChannel(channel_id, kind, guild, **options)
        self.channels[channel_id] = channel
        return channel

    def fail_next(
        self, channel_id: int, status: int, code: int, message: str, times: int = 1, **extra: Any
    ) -> None:
        """Answer the next ``times`` calls on this channel with this error."""
        queue = self._scripted.setdefault(channel_id, deque())
        queue.extend(ApiError(status, code, message, **extra) for _ in range(times))

    def fail_after(self, channel_id: int, calls: int, status: int, code: int, message: str) -> None:
        """Answer ``calls`` more calls on this channel as usual, then the next one with this error."""
        self._later[channel_id] = (calls, ApiError(status, code, message))

    def rate_limit(
        self, channel_id: int, retry_after: float, *, everywhere: bool = False, via: bool = True
    ) -> None:
        """Answer the next call on this channel with 429; ``via=False`` looks like a Cloudflare ban."""
        scope = "global" if everywhere else "user"
        extra: dict[str, Any] = {"global": everywhere, "_via": via, "_scope": scope}
        self.fail_next(channel_id, 429, 0, "You are being rate limited.", retry_after=retry_after, **extra)

    def fail_with_5xx(self, channel_id: int, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` calls with a server error (503 is the one discord.py does not retry)."""
        self.fail_next(channel_id, status, 0, "Service Unavailable", times=times)

    def forbid(self, channel_id: int, code: int = 50013) -> None:
        """Answer every later call here with 403 (50001 Missing Access, 50013 Missing Permissions)."""
        self._refused[channel_id] = ApiError(
            403, code, "Missing Access" if code == 50001 else "Missing Permissions"
        )

    def allow(self, channel_id: int) -> None:
        """Access came back: stop refusing this channel."""
        self._refused.pop(channel_id, None)

    def remove_channel(self, channel_id: int) -> None:
        """Delete the channel: every later call on it gets 404 Unknown Channel."""
        self._refused[channel_id] = ApiError(*_UNKNOWN_CHANNEL)

    async def wait_until(self, predicate: Callable[[], object], limit: float = 5.0) -> None:
        """Wait until ``predicate()`` holds, re-checking after every request; fail after ``limit`` s."""
        async with asyncio.timeout(limit), self._changed:
            await self._changed.wait_for(predicate)

    async def answer_to(self, payload: JSON, limit: float = 5.0) -> FakeInteraction:
        """Wait for the bot's first answer to an interaction built by ``new_interaction``."""
        interaction = self.interactions[int(payload["id"])]
        await self.wait_until(lambda: interaction.callbacks, limit)
        return interaction

    def sent(self, channel_id: int) -> list[FakeMessage]:
        """The messages now in a channel or thread, oldest first."""
        return self.messages.get(channel_id, [])

    def threads_of(self, forum_id: int) -> list[FakeChannel]:
        """The posts (threads) of a forum channel, or the threads of a text channel, oldest first."""
        return [c for c in self.channels.values() if c.parent_id == forum_id]

    # --- plumbing ---------------------------------------------------------------------------------------

    def _wrap(self, handler: Handler, bot: bool) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            if self.latency:
                await asyncio.sleep(self.latency / 2)  # the request on its way to "Discord"
            now, headers = self._clock(), {"Content-Type": "application/json"}
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            try:
                if bot and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise ApiError(401, 0, "401: Unauthorized")
                if isinstance(body, str):
                    raise ApiError(400, 50109, "The request body contains invalid JSON.")
                result = await handler(request, body)
                status = 204 if result is None else 200
                if bot:
                    headers |= self._count(request)
            except ApiError as error:
                status, result = error.status, error.body()
                headers |= self._limit_headers(error)
                if bot and status != 429:
                    self._count_global()  # "50 requests per second": refused ones are requests too
            self.requests.append(RecordedRequest(request.method, request.path, body, now, status))
            async with self._changed:
                self._changed.notify_all()
            data = b"" if status == 204 else json.dumps(result, ensure_ascii=False).encode()
            if self.latency:
                await asyncio.sleep(self.latency / 2)  # the answer on its way back
            return web.Response(body=data, status=status, headers=headers if data else {})

        return handle

    def _limit_headers(self, error: ApiError) -> dict[str, str]:
        if error.status != 429:
            return {}
        self.rate_limited += 1
        via = error.extra.get("_via", True)
        scope = str(error.extra.get("_scope", "user"))
        retry_after = float(error.extra.get("retry_after", 1.0))
        headers = {"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": scope}
        headers |= {"X-RateLimit-Global": "true"} if error.extra.get("global") else {}
        headers |= error.extra.get("_bucket", {})  # a route's 429 carries its bucket's headers too
        # discord.py takes a 429 without Via for a Cloudflare ban and gives up at once.
        return headers | ({"Via": "1.1 google"} if via else {})

    def _channel(self, request: web.Request) -> FakeChannel:
        """Resolve the channel of a call, applying scripted failures: one-shots first, then refusals."""
        channel_id = int(request.match_info["channel"])
        if channel_id in self._later:
            calls, error = self._later.pop(channel_id)
            if not calls:
                raise error
            self._later[channel_id] = (calls - 1, error)
        if queue := self._scripted.get(channel_id):
            raise queue.popleft()
        if channel_id in self._refused:
            raise self._refused[channel_id]
        return self.channels.get(channel_id) or self.add_channel(channel_id)

    def _count_global(self) -> None:
        now = self._clock()
        while self._sent_all and self._sent_all[0] <= now - 1.0:
            self._sent_all.popleft()
        self._sent_all.append(now)

    def _bucket(self, channel_id: int, now: float) -> tuple[float, int]:
        """A channel's message bucket: Discord's buckets reset whole once Reset-After has passed."""
        start, used = self._buckets.get(channel_id, (now, 0))
        return (now, 0) if now >= start + self.channel_window else (start, used)

    def _bucket_headers(self, start: float, used: int, now: float) -> dict[str, str]:
        # Rounded up to the millisecond: a client that waits exactly this long finds the bucket reset.
        reset_after = max(math.ceil((start + self.channel_window - now) * 1000) / 1000, 0.001)
        return {
            "X-RateLimit-Limit": str(self.per_channel),
            "X-RateLimit-Remaining": str(max(self.per_channel - used, 0)),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Bucket": "fake-channel-messages",
        }  # fmt: skip

    def _count(self, request: web.Request) -> dict[str, str]:
        """Count a bot request against the global limit; message creates also against their channel's."""
        self._count_global()
        if request.method != "POST" or "channel" not in request.match_info:
            return {}
        now, channel_id = self._clock(), int(request.match_info["channel"])
        start, used = self._bucket(channel_id, now)
        self._buckets[channel_id] = (start, used + 1)
        return self._bucket_headers(start, used + 1, now)

    def _throttle(self, channel_id: int) -> None:
        """Raise 429 if one more message would exceed the global window or the channel's bucket."""
        if not self.enforce_limits:
            return
        now = self._clock()
        recent_all = [t for t in self._sent_all if t > now - 1.0]
        if len(recent_all) >= self.global_per_s:
            wait = recent_all[-self.global_per_s] + 1.0 - now
            raise ApiError(
                429,
                0,
                "You are being rate limited.",
                retry_after=round(wait, 3),
                **{"global": True, "_scope": "global"},
            )
        start, used = self._bucket(channel_id, now)
        if used >= self.per_channel:
            wait = start + self.channel_window - now
            bucket = self._bucket_headers(start, used, now)
            raise ApiError(
                429, 0, "You are being rate limited.", retry_after=round(wait, 3),
                **{"global": False, "_bucket": bucket},
            )  # fmt: skip

    def _store(self, channel_id: int, body: JSON, message_id: int | None = None) -> FakeMessage:
        message = FakeMessage(message_id or next(self._ids), channel_id, body)
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def _find(self, channel_id: int, message_id: str) -> FakeMessage:
        for message in self.messages.get(channel_id, []):
            if str(message.id) == message_id:
                return message
        raise ApiError(404, 10008, "Unknown Message")

    # --- bot routes -------------------------------------------------------------------------------------

    async def _me(self, request: web.Request, body: Any) -> JSON:
        return self.bot_user | {"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"}

    async def _application(self, request: web.Request, body: Any) -> JSON:
        return {
            "id": str(self.application_id), "name": "Transmission", "description": "", "icon": None,
            "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
            "owner": user_object(1, "owner"), "team": None, "summary": "", "interactions_endpoint_url": None,
        }  # fmt: skip

    async def _get_channel(self, request: web.Request, body: Any) -> JSON:
        return channel_object(self._channel(request), self.bot_id)

    async def _delete_channel(self, request: web.Request, body: Any) -> JSON:
        channel = self._channel(request)
        self.channels.pop(channel.id)
        self.messages.pop(channel.id, None)
        self.remove_channel(channel.id)
        return channel_object(channel, self.bot_id)

    async def _create(self, request: web.Request, body: Any) -> JSON:
        channel = self._channel(request)
        if channel.type not in TAKES_MESSAGES:  # forums take posts (threads), voice and categories nothing
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        check_message(body, strict_mentions=self.strict_mentions)
        self._throttle(channel.id)
        return message_object(self._store(channel.id, body), self.bot_user)

    async def _edit(self, request: web.Request, body: Any) -> JSON:
        channel = self._channel(request)
        message = self._find(channel.id, request.match_info["message"])
        message.body = {
            **message.body,
            **check_message(body, strict_mentions=self.strict_mentions, editing=True),
        }
        message.edited = True
        return message_object(message, self.bot_user)

    async def _delete(self, request: web.Request, body: Any) -> None:
        channel = self._channel(request)
        self.messages[channel.id].remove(self._find(channel.id, request.match_info["message"]))

    async def _forum_post(self, request: web.Request, body: Any) -> JSON:
        """Start Thread in Forum or Media Channel: a new post whose first message has the thread's id."""
        forum = self._channel(request)
        if forum.type not in FORUMS:
            raise form_error("message", "BASE_TYPE_INVALID", "Only forum and media channels take a message")
        name, message = body.get("name"), body.get("message")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
            raise form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        check_message(message, strict_mentions=self.strict_mentions)
        tags = [str(t) for t in body.get("applied_tags") or []]
        if forum.require_tag and not tags:
            raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
        if not set(tags) <= {str(t["id"]) for t in forum.tags} or len(tags) > 5:
            raise form_error("applied_tags", "BASE_TYPE_CHOICES", "Value must be one of the forum's tags.")
        self._throttle(forum.id)
        thread = self.add_channel(
            next(self._ids),
            PUBLIC_THREAD,
            name=name,
            parent_id=forum.id,
            guild_id=forum.guild_id,
            applied_tags=tags,
        )
        first = self._store(thread.id, message, message_id=thread.id)
        return channel_object(thread, self.bot_id) | {"message": message_object(first, self.bot_user)}

    async def _sync(self, request: web.Request, body: Any) -> list[JSON]:
        if request.match_info["app"] != str(self.application_id):
            raise ApiError(403, 50001, "Missing Access")
        if self.sync_error is not None:
            error, self.sync_error = self.sync_error, None
            raise error
        guild = int(request.match_info["guild"]) if "guild" in request.match_info else None
        commands = check_commands(body)
        live = [
            c | {"id": str(next(self._ids)), "application_id": str(self.application_id), "version": "1"}
            for c in commands
        ]
        self.commands[guild] = live
        self.syncs.append((guild, commands))
        return live
