"""A push-only destination's endpoint, read as stored."""

from bot.services.endpoints import StoredEndpoint
from bot.store import destinations
from bot.store.destinations import Subscription


async def test_the_stored_endpoint_or_none(app):
    async with app.sessions.begin() as session:
        hook, _ = await destinations.subscribe(session, Subscription("webhook", "h1"), app.clock.now())
        hook.endpoint_url, hook.endpoint_format, hook.endpoint_secret = "https://example.org/in", "slack", "s"
        await destinations.subscribe(session, Subscription("webhook", "h2"), app.clock.now())
    endpoints = app.services.endpoints
    assert await endpoints.find("webhook", "h1") == StoredEndpoint("https://example.org/in", "slack", "s")
    assert await endpoints.find("webhook", "h2") is None  # no URL stored
    assert await endpoints.find("webhook", "h3") is None
    assert await endpoints.find("telegram", "h1") is None
