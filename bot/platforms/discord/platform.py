"""The Discord platform: a discord.py client in the bot's event loop, its slash commands, and the sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import tzinfo

import aiohttp
import discord
from discord.http import Route

from bot.content.models import Lang
from bot.platforms.discord.buckets import cancel_refreshes, tune
from bot.platforms.discord.global_limit import DISCORD_GLOBAL_PER_S, GlobalLimit, trace_config
from bot.platforms.discord.handlers import DiscordHandlers
from bot.platforms.discord.invite import invite_url
from bot.platforms.discord.sender import MAX_RATELIMIT_WAIT, DiscordSender
from bot.platforms.discord.slash import ChineseDescriptions, build_tree, definitions
from bot.platforms.discord.views import DYNAMIC_ITEMS, PageTurner, Reader
from bot.platforms.spec import StartupError
from bot.services.bundle import Services
from bot.services.command_sync import definitions_hash
from bot.services.reading import Commands

log = logging.getLogger(__name__)
PLATFORM = "discord"


class TransmissionClient(discord.AutoShardedClient):
    """Sharded as soon as Discord asks, without code changes; needs no privileged intents."""

    def __init__(self, page_turner: PageTurner, reader: Reader, limit: GlobalLimit) -> None:
        # Interactions need no intents; `guilds` (not privileged) keeps discord.py's channel state sane,
        # and nothing else is asked for: no member, message or presence traffic to carry.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # it never joins voice
        super().__init__(
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
            http_trace=trace_config(limit),  # every REST request keeps the global limit
        )
        tune(self.http)  # discord.py's buckets, minus waits the engine's pacer already makes
        self.page_turner = page_turner
        self.reader = reader

    async def setup_hook(self) -> None:
        """Listen for every button and menu ever sent, so they keep working after a restart."""
        self.add_dynamic_items(*DYNAMIC_ITEMS)


class DiscordPlatform:
    """Receive slash commands and button presses, sync commands when changed, hand out the sender."""

    close_grace = 10.0  # seconds the gateway gets to close on stop()

    def __init__(
        self,
        *,
        token: str,
        commands: Commands,
        services: Services,
        zone: tzinfo,
        default_lang: Lang,
        wake: Callable[[], None],
        guild_id: int | None = None,
        api_base_url: str | None = None,
        gateway: bool = True,
        global_per_s: float = DISCORD_GLOBAL_PER_S,
    ) -> None:
        self._token = token
        self._sync = services.command_sync
        self._api_base = api_base_url.rstrip("/") if api_base_url else None
        self._gateway = gateway
        self._previous_base: str | None = None
        self._connection: asyncio.Task[None] | None = None
        self._opened = False
        self.guild = discord.Object(guild_id) if guild_id else None
        self.handlers = DiscordHandlers(
            commands, services.lookups, zone, default_lang, wake, services.articles, services.readings
        )
        self.global_limit = GlobalLimit(global_per_s)
        self.client = TransmissionClient(self.handlers, self.handlers.reading, self.global_limit)
        self.tree = build_tree(self.client, self.handlers, self.guild)
        self.sender = DiscordSender(self.client, zone)

    @property
    def scope(self) -> str:
        """Where the commands live: `global`, or `guild:<id>` while testing in one server."""
        return f"guild:{self.guild.id}" if self.guild else "global"

    @property
    def gateway_running(self) -> bool:
        """Whether the gateway connection is running (`start` starts it, `stop` ends it)."""
        return self._connection is not None and not self._connection.done()

    async def login(self) -> None:
        """Log in over REST (no gateway): enough to send, edit, delete and sync commands."""
        if self._api_base:
            # Class-wide in discord.py, webhooks (interaction replies) included; restored by stop().
            self._previous_base, Route.BASE = Route.BASE, self._api_base
        await self.tree.set_translator(ChineseDescriptions())
        self._opened = True
        try:
            await self.client.login(self._token)
        except discord.LoginFailure:
            raise StartupError(
                "Discord refused DISCORD_BOT_TOKEN: check it in the Developer Portal"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise StartupError(f"cannot reach the Discord API: {exc}") from None

    async def start(self) -> None:
        """Log in, sync the slash commands if their definitions changed, and connect to the gateway."""
        await self.login()
        if self.client.application_id is not None:  # known once logged in
            log.info("add the bot to a Discord server: %s", invite_url(self.client.application_id))
        try:
            await self.sync_commands()
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            # Broadcasting works without slash commands; the next start tries the sync again.
            log.error("could not sync the Discord slash commands: %s", exc)
        if self._gateway:
            self._connection = asyncio.create_task(self._connect(), name="discord-gateway")

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except (discord.DiscordException, OSError) as exc:
            # The sender keeps working over REST; only commands and buttons are down.
            log.error("the Discord gateway stopped: %s", exc)

    async def stop(self) -> None:
        """Disconnect and close the HTTP session."""
        if self._opened:  # discord.py's sharded client cannot close before it logged in
            self._opened = False
            cancel_refreshes(self.client.http)
            await self.client.close()
        if self._connection is not None:
            # connect() returns once the shards are closed; never let a stuck one hold up shutdown.
            done, _ = await asyncio.wait({self._connection}, timeout=self.close_grace)
            if not done:
                self._connection.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connection
            self._connection = None
        if self._previous_base is not None:
            Route.BASE, self._previous_base = self._previous_base, None

    async def definitions_digest(self) -> str:
        """Hash what a sync would upload, for this application and scope."""
        payload = await definitions(self.tree, self.guild)
        return definitions_hash({"application": self.client.application_id, "commands": payload})

    async def sync_commands(self, force: bool = False) -> bool:
        """Upload the commands when their definitions changed since the last sync (or when forced).

        Discord caps command creates per day, so an unchanged definition is never uploaded again.
        """
        digest = await self.definitions_digest()
        if await self._sync.is_current(PLATFORM, self.scope, digest) and not force:
            log.info("Discord slash commands unchanged (%s): not synced", self.scope)
            return False
        synced = await self.tree.sync(guild=self.guild)
        await self._sync.remember(PLATFORM, self.scope, digest)
        log.info("synced %d Discord slash commands (%s)", len(synced), self.scope)
        return True


async def force_sync(platform: DiscordPlatform) -> list[str]:
    """`python -m bot discord sync`: log in over REST only, upload the commands now, log out."""
    try:
        await platform.login()
        await platform.sync_commands(force=True)
        return command_names(platform)
    finally:
        await platform.stop()


def command_names(platform: DiscordPlatform) -> list[str]:
    """Return the slash command names as registered, in order (the shared command list)."""
    return [command.name for command in platform.tree.get_commands(guild=platform.guild)]
