"""The webhook sender on its own (answers, timeouts, stored URLs), the endpoint checks, the registry."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.broadcast.pacing import Window
from bot.broadcast.sender import BadMessage, DestinationGone, RetryAfter, RetryLater, Target
from bot.clock import FakeClock
from bot.content.models import Transmission
from bot.platforms import registry
from bot.platforms.webhook.endpoints import (
    Endpoint,
    EndpointError,
    chat_id_for,
    check_secret,
    check_url,
    shown_url,
)
from bot.platforms.webhook.sender import WebhookSender, retry_after
from bot.settings import load_settings
from tests.conftest import NOW

ITEM = Transmission("p", "Title", "ML", datetime(2026, 11, 20, tzinfo=UTC), "Excerpt.", "https://b.example/p")


@pytest.fixture
async def sending(clock, receiver):
    """A sender whose destinations are paths of the receiver, looked up in a dict."""
    endpoints: dict[str, Endpoint] = {}

    async def lookup(chat_id):
        return endpoints.get(chat_id)

    async with WebhookSender(lookup, clock, timeout=5.0) as sender:
        yield sender, endpoints


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "reason"),
    [
        (429, "", {"Retry_After": "30"}, RetryAfter, "rate limited: retry after 30s"),
        (
            429,
            "",
            {"Retry_After": "Sun, 22 Nov 2026 12:00:42 GMT"},
            RetryAfter,
            "rate limited: retry after 42s",
        ),
        (503, "try later", {}, RetryLater, "HTTP 503: try later"),
        (408, "", {}, RetryLater, "HTTP 408"),
        (404, "no_service", {}, DestinationGone, "HTTP 404: no_service"),
        (410, "channel_is_archived", {}, DestinationGone, "HTTP 410: channel_is_archived"),
        (403, "action_prohibited", {}, DestinationGone, "HTTP 403: action_prohibited"),
        (401, "", {}, DestinationGone, "HTTP 401"),
        (400, "invalid_payload", {}, BadMessage, "HTTP 400: invalid_payload"),
        (301, "", {"Location": "https://elsewhere.example/"}, BadMessage, "HTTP 301"),
        (413, "x" * 500, {}, BadMessage, "HTTP 413: " + "x" * 200),
    ],
)
async def test_answers_map_to_the_engines_errors(sending, receiver, status, body, headers, error, reason):
    sender, endpoints = sending
    endpoints["a"] = Endpoint(receiver.url("a"), "slack")
    receiver.answer("a", status, body, **headers)
    with pytest.raises(error) as raised:
        await sender.send(Target("a"), ITEM)
    assert raised.value.reason == reason


async def test_a_2xx_is_sent_and_its_id_is_the_slug(sending, receiver):
    sender, endpoints = sending
    endpoints["a"] = Endpoint(receiver.url("a"))
    receiver.answer("a", 204)
    assert await sender.send(Target("a"), ITEM) == ["p"]


async def test_a_receiver_that_never_answers_is_retried_later(clock):
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def lookup(chat_id):
        return Endpoint(f"http://127.0.0.1:{port}/hook")

    try:
        async with WebhookSender(lookup, clock, timeout=0.2) as sender:
            with pytest.raises(RetryLater, match=r"no answer within 0.2s"):
                await sender.send(Target("a"), ITEM)
    finally:
        server.close()


async def test_missing_or_refused_stored_urls_disable_the_destination(sending):
    sender, endpoints = sending
    with pytest.raises(DestinationGone, match="add it again with --url"):
        await sender.send(Target("nothing-stored"), ITEM)
    endpoints["plain"] = Endpoint("http://hooks.example.com/x")
    with pytest.raises(DestinationGone, match="https://"):
        await sender.send(Target("plain"), ITEM)


def test_retry_after_reads_seconds_and_dates():
    assert retry_after("2.5", NOW) == 2.5
    assert retry_after("Sun, 22 Nov 2026 12:01:00 GMT", NOW) == 60
    assert retry_after("Sun, 22 Nov 2026 11:00:00 GMT", NOW) == 0  # already past
    assert retry_after(None, NOW) == retry_after("soon", NOW) == 1.0


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B0/XYZ",
        "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "  https://example.org/a  ",
    ],
)
def test_urls_taken(url):
    assert check_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    ["http://example.org/hook", "ftp://example.org/", "https:///nohost", "hooks.slack.com/x", "https://a b/"],
)
def test_urls_refused(url):
    with pytest.raises(EndpointError):
        check_url(url)


def test_what_is_shown_of_an_endpoint():
    url = "https://hooks.slack.com/services/T0/B0/SECRETTOKEN"
    assert shown_url(url) == "https://hooks.slack.com/…"
    assert shown_url("http://[::1]:8080/x") == "http://[::1]:8080/…"
    assert chat_id_for(url) == chat_id_for(url) != chat_id_for(url + "2")
    assert len(chat_id_for("https://x.example/" + "a" * 2000)) <= 64
    shown = repr(Endpoint(url, "slack", "the-secret-value"))
    assert "SECRETTOKEN" not in shown and "the-secret-value" not in shown
    with pytest.raises(EndpointError):
        check_secret("short")
    assert check_secret("a-long-enough-secret") == "a-long-enough-secret"


def test_the_registry_turns_webhooks_on_unless_told_otherwise():
    settings = load_settings(_env_file=None)
    spec = registry.spec_for("webhook")
    assert spec in registry.enabled(settings) and spec.front_end is False
    limits = spec.limits(load_settings(webhook_per_s=2.5, webhook_url_per_s=0.5, _env_file=None))
    assert (limits.overall, limits.per_chat) == (Window(1, 0.4), Window(1, 2.0))
    assert spec not in registry.enabled(load_settings(webhooks=False, _env_file=None))
    assert "webhook" in registry.names()


async def test_a_stopped_sender_sends_nothing():
    async def lookup(chat_id):
        return Endpoint("https://x.example/")

    sender = WebhookSender(lookup, FakeClock(NOW))
    await sender.start()
    await sender.stop()
    with pytest.raises(RetryLater, match="not started"):
        await sender.send(Target("a"), ITEM)
