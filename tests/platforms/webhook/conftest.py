"""An app whose webhook sender POSTs through the real engine to a local receiver, on a fake clock."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FakeClock
from bot.platforms.webhook.endpoints import chat_id_for, shown_url
from bot.platforms.webhook.sender import WebhookSender
from bot.platforms.webhook.spec import stored_endpoints
from bot.store.destinations import Subscription, subscribe
from bot.store.models import Delivery, Destination
from tests.platforms.webhook.receiver import Receiver


@pytest.fixture
async def receiver(clock: FakeClock) -> AsyncIterator[Receiver]:
    async with Receiver(clock) as server:
        yield server


@pytest.fixture
async def hooks(app: App, clock: FakeClock) -> AsyncIterator[App]:
    """The app with the webhook sender registered as `run` registers it (the registry's limits)."""
    async with WebhookSender(stored_endpoints(app.services.endpoints), clock, timeout=5.0) as sender:
        app.add_platform(sender)
        await app.tick()  # the first scan of an empty folder broadcasts nothing
        yield app


async def subscribe_hook(
    app: App, url: str, fmt: str = "json", secret: str | None = None, **options: object
) -> str:
    """Subscribe a URL as `destinations add --platform webhook` does; return its chat id."""
    chat_id = chat_id_for(url)
    wish = Subscription("webhook", chat_id, kind="channel", title=shown_url(url), **options)
    async with app.sessions.begin() as session:
        added, _ = await subscribe(session, wish, app.clock.now())
        added.endpoint_url, added.endpoint_format, added.endpoint_secret = url, fmt, secret
    return chat_id


async def destination(app: App, chat_id: str) -> Destination:
    async with app.sessions() as session:
        query = select(Destination).where(Destination.platform == "webhook", Destination.chat_id == chat_id)
        return (await session.execute(query)).scalar_one()


async def deliveries(app: App, chat_id: str) -> list[Delivery]:
    async with app.sessions() as session:
        query = (
            select(Delivery)
            .join(Destination, Destination.id == Delivery.destination_id)
            .where(Destination.chat_id == chat_id)
            .order_by(Delivery.id)
        )
        return list((await session.execute(query)).scalars())


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
