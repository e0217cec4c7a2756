"""The Telegram platform: a PTB Application in the bot's event loop, plus the sender."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Literal
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
)
from telegram.ext import filters as tg_filters
from telegram.request import BaseRequest, HTTPXRequest

from bot.broadcast.pacing import TELEGRAM_LIMITS, Pacer
from bot.clock import Clock
from bot.content.models import Lang
from bot.logs import redact
from bot.platforms.spec import StartupError
from bot.platforms.telegram.full_posts import RichMode, RichSupport
from bot.platforms.telegram.handlers import TelegramHandlers
from bot.platforms.telegram.request import AiohttpRequest
from bot.platforms.telegram.sender import TelegramSender
from bot.platforms.telegram.webhook import WebhookReceiver, new_secret
from bot.services.bundle import Services
from bot.services.reading import COMMANDS, Commands

log = logging.getLogger(__name__)
START = ("start", "这个机器人是什么，如何订阅", "What this bot is and how to subscribe")
HttpClient = Literal["aiohttp", "httpx"]
OWNER_COMMANDS = (
    ("status", "发送引擎状态", "Broadcast engine status"),
    ("broadcast", "重新发送一篇文章：/broadcast <slug>", "Send a post again: /broadcast <slug>"),
)


def menu(lang: Lang, owner: bool = False) -> list[BotCommand]:
    """Return the command menu in `lang`: /start, the shared commands, and owner extras."""
    rows = [(START[0], START[1] if lang == "zh" else START[2])]
    rows += [(c.name, c.help(lang)) for c in COMMANDS]
    if owner:
        rows += [(name, zh if lang == "zh" else en) for name, zh, en in OWNER_COMMANDS]
    return [BotCommand(name, description) for name, description in rows]


def bot_request(client: HttpClient, connections: int) -> BaseRequest:
    """Return the Bot API calls' HTTP client: aiohttp (~1,400 calls/s on one core) or PTB's httpx.

    Timeouts are PTB's defaults either way; polling keeps PTB's own single-connection client.
    """
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=connections)
    return AiohttpRequest(connection_pool_size=connections)


class TelegramPlatform:
    """Receive updates (polling, or a webhook when configured) and hand out the sender."""

    def __init__(
        self,
        *,
        token: str,
        commands: Commands,
        services: Services,
        clock: Clock,
        zone: tzinfo,
        default_lang: Lang,
        owners: frozenset[int],
        base_url: str | None = None,
        webhook_url: str | None = None,
        webhook_host: str = "127.0.0.1",
        webhook_port: int = 8443,
        webhook_secret: str | None = None,
        pacer: Pacer | None = None,
        wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rich: RichMode = "auto",
        http: HttpClient = "aiohttp",
        connections: int = 256,
    ) -> None:
        """`pacer` is shared with the dispatcher, so command replies and transmissions share limits.

        `http` and `connections` choose the client of the Bot API calls (TELEGRAM_HTTP_CLIENT,
        TELEGRAM_CONNECTIONS).
        """
        self._membership = services.membership
        self._owners = owners
        self._default = default_lang
        builder = ApplicationBuilder().token(token).job_queue(None).concurrent_updates(True)
        builder = builder.request(bot_request(http, connections))
        if base_url:
            builder = builder.base_url(base_url)
        self.application: Application = builder.build()  # type: ignore[type-arg]
        self._webhook_url = webhook_url
        self.webhook = self._receiver(webhook_url, webhook_host, webhook_port, webhook_secret)
        self.pacer = pacer or Pacer(TELEGRAM_LIMITS)
        self.rich = RichSupport(rich)  # one per server: what it lacks is remembered until restart
        operators = services.owners
        handlers = TelegramHandlers(
            commands,
            clock,
            zone,
            default_lang,
            owners,
            {"status": operators.status, "broadcast": operators.broadcast},
            self._membership_changed,
            self._migrated,
            self.pacer,
            services.articles,
            services.readings,
            self.rich,
            wait,
        )
        self._route(handlers)
        self.sender = TelegramSender(self.application.bot, zone, self.rich, wait)

    def _receiver(self, url: str | None, host: str, port: int, secret: str | None) -> WebhookReceiver | None:
        """Build the webhook receiver when updates come by webhook; make a secret when none is set."""
        if not url:
            return None
        if not secret:
            # Without a secret anyone who finds the port can forge updates (an owner's /broadcast).
            secret = new_secret()
            redact(secret)
            log.warning(
                "TELEGRAM_WEBHOOK_SECRET is not set: generated a random one for this run and gave it "
                "to Telegram; set it to keep one secret across restarts"
            )
        self._webhook_secret = secret
        return WebhookReceiver(self.application, path=urlsplit(url).path, secret=secret, host=host, port=port)

    def _route(self, handlers: TelegramHandlers) -> None:
        """Send commands, buttons, membership changes and migrations to their handlers."""
        messages = tg_filters.UpdateType.MESSAGE | tg_filters.UpdateType.CHANNEL_POST
        self.application.add_handler(MessageHandler(tg_filters.COMMAND & messages, handlers.on_command))
        self.application.add_handler(CallbackQueryHandler(handlers.on_button))
        self.application.add_handler(
            ChatMemberHandler(handlers.on_membership, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        self.application.add_handler(MessageHandler(tg_filters.StatusUpdate.MIGRATE, handlers.on_migration))
        self.application.add_error_handler(handlers.on_error)

    async def start(self) -> None:
        """Connect, register the command menus, and start receiving updates."""
        try:
            await self.application.initialize()
        except InvalidToken:
            # PTB's own message quotes the token; ours names the setting instead.
            raise StartupError("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather") from None
        except NetworkError as exc:
            raise StartupError(f"cannot reach the Telegram Bot API: {exc.message}") from None
        await self._register_menus()
        await self.application.start()
        if self.webhook is not None and self._webhook_url:
            # Listen first, so that Telegram's first call finds us.
            try:
                await self.webhook.start()
            except OSError as exc:
                raise StartupError(f"TELEGRAM_WEBHOOK_HOST/PORT: cannot listen: {exc.strerror}") from None
            try:
                await self.application.bot.set_webhook(
                    url=self._webhook_url,
                    secret_token=self._webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                )
            except TelegramError as exc:
                raise StartupError(f"Telegram refused TELEGRAM_WEBHOOK_URL: {exc.message}") from None
        else:
            updater = self.application.updater
            assert updater is not None
            await updater.start_polling(allowed_updates=Update.ALL_TYPES)

    async def stop(self) -> None:
        """Stop receiving updates and close the connection."""
        if self.webhook is not None:
            await self.webhook.stop()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _register_menus(self) -> None:
        bot = self.application.bot
        try:
            await bot.set_my_commands(menu(self._default))
            for lang in ("zh", "en"):
                await bot.set_my_commands(menu(lang), language_code=lang)
            for owner in self._owners:
                await bot.set_my_commands(menu(self._default, owner=True), scope=BotCommandScopeChat(owner))
        except TelegramError as exc:
            # A menu is a convenience: the commands work without it.
            log.warning("could not register the command menu: %s", exc)

    async def _membership_changed(self, chat_id: str, reason: str, present: bool) -> None:
        if present:
            await self._membership.regained("telegram", chat_id)
        else:
            await self._membership.lost("telegram", chat_id, reason)

    async def _migrated(self, old_chat_id: str, new_chat_id: str) -> None:
        await self._membership.migrated("telegram", old_chat_id, new_chat_id)
