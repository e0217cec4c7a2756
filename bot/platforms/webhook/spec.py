"""Outgoing webhooks as the registry knows them: on unless WEBHOOKS=false, paced overall and per URL.

Push-only: no chat front end, so the console still starts when no bot token is set. With no
webhook destination the sender idles at no cost.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from bot.broadcast.pacing import Limits, Window
from bot.platforms.spec import Host, PlatformSpec, Started
from bot.platforms.webhook.endpoints import NAME, Endpoint, as_format
from bot.platforms.webhook.sender import Lookup, WebhookSender
from bot.services.endpoints import Endpoints
from bot.settings import Settings


def limits(settings: Settings) -> Limits:
    """WEBHOOK_PER_S overall, WEBHOOK_URL_PER_S to each URL (Slack takes one a second per webhook)."""
    return Limits(
        overall=Window.per_second(settings.webhook_per_s),
        per_chat=Window.per_second(settings.webhook_url_per_s),
    )


def stored_endpoints(endpoints: Endpoints) -> Lookup:
    """Look a destination's endpoint up when it is sent to, so `destinations add` applies at once."""

    async def lookup(chat_id: str) -> Endpoint | None:
        found = await endpoints.find(NAME, chat_id)
        if found is None:
            return None
        return Endpoint(found.url, as_format(found.format), found.secret)

    return lookup


async def start(host: Host, stack: AsyncExitStack) -> Started:
    """Open the sender's HTTP session; it is closed when the bot stops."""
    sender = WebhookSender(stored_endpoints(host.services.endpoints), host.clock, host.settings.zone)
    await sender.start()
    stack.push_async_callback(sender.stop)
    return Started(sender)


SPEC = PlatformSpec(
    name=NAME,
    setting="WEBHOOKS",
    enabled=lambda settings: settings.webhooks,
    limits=limits,
    start=start,
    front_end=False,
)
