"""The Telegram webhook receiver: a small aiohttp server that feeds PTB's update queue.

PTB's own webhook server (`Updater.start_webhook`, tornado) accepts bodies up to tornado's default
of 100 MB and offers no setting to lower it. This one checks the secret first (in constant time),
refuses a body over `MAX_BODY` from its Content-Length before reading it (and stops reading one
without a length at the bound), and logs neither the secret nor the updates.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ExtBot

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # Telegram's updates are a few kilobytes
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def new_secret() -> str:
    """Return a random secret token in the alphabet Telegram allows (A-Z a-z 0-9 _ -)."""
    return secrets.token_urlsafe(32)


class WebhookReceiver:
    """Listen on `host:port` at `path`; hand each authentic update to the application."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        *,
        path: str,
        secret: str,
        host: str,
        port: int,
        max_body: int = MAX_BODY,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self._application = application
        self._path = "/" + path.strip("/")
        self._secret = secret.encode()
        self._host, self.port = host, port
        self._max_body = max_body
        self._runner: web.AppRunner | None = None
        self.addresses: list[Any] = []  # where it listens, once started

    async def start(self) -> None:
        """Bind and listen (port 0 picks a free one, see `.port`)."""
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self._path, self._receive)
        # No lingering: a refused body is not read to its end, the connection is closed instead.
        self._runner = web.AppRunner(app, access_log=None, lingering_time=0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self.port)
        await site.start()
        server: Any = getattr(site, "_server", None)
        self.addresses = [sock.getsockname() for sock in server.sockets] if server is not None else []
        if self.port == 0 and self.addresses:
            self.port = int(self.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403, text="forbidden")
        if request.content_length is not None and request.content_length > self._max_body:
            return web.Response(status=413, text="body too large")
        try:
            body = await request.read()  # aiohttp stops at client_max_size when no length was sent
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="body too large")
        bot = self._application.bot
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            update = Update.de_json(data, bot)
        except Exception as exc:  # any malformed body: JSON, types, missing fields
            log.warning("webhook: refused a malformed update (%s)", type(exc).__name__)
            return web.Response(status=400, text="malformed update")
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)  # as PTB's own webhook handler does
        await self._application.update_queue.put(update)
        return web.Response(status=200, text="ok")
