"""Webhooks through the real engine: one signed POST per URL, 429 and 5xx retried, 404 disables.

The dispatcher runs on the fake clock (`app.drain()` sends what may go now), the HTTP is real: a
receiver on 127.0.0.1 checks every signature the way the README tells receivers to.
"""

import logging
from datetime import timedelta

import pytest

from bot.logs import configure
from bot.store.status import status
from tests.platforms.webhook.conftest import closed_port, deliveries, destination, subscribe_hook

SECRET = "json-secret-0123456789"
SLACK_SECRET = "slack-secret-0123456789"
FEISHU_SECRET = "feishu-secret-0123456789"


async def publish(app, write_post, slug, **meta):
    write_post(f"{slug}.md", meta.pop("title", slug), date=meta.pop("date", "2026-11-22"), slug=slug, **meta)
    await app.tick()


async def test_a_post_goes_once_to_every_webhook_signed(hooks, receiver, clock, write_post):
    app = hooks
    await subscribe_hook(app, receiver.url("json"), "json", SECRET)
    await subscribe_hook(app, receiver.url("slack"), "slack", SLACK_SECRET)
    await subscribe_hook(app, receiver.url("feishu"), "feishu", FEISHU_SECRET)
    receiver.check("json", SECRET)
    receiver.check("slack", SLACK_SECRET)
    receiver.check("feishu", FEISHU_SECRET, feishu=True)
    await publish(app, write_post, "hello", title="扩散 <模型> & @everyone", category="生成模型")
    assert await app.drain() == 3
    [json_post], [slack], [feishu] = receiver.on("json"), receiver.on("slack"), receiver.on("feishu")
    assert json_post.verified and feishu.verified and slack.verified
    assert json_post.body["event"] == "post" and json_post.body["edited"] is False
    assert json_post.body["post"] | {"excerpt": "…", "date": "…"} == {
        "slug": "hello",
        "title": "扩散 <模型> & @everyone",
        "category": "生成模型",
        "date": "…",
        "excerpt": "…",
        "url": "https://blog.example.org/posts/hello",
        "image": None,
        "lang": "zh",
    }
    assert slack.body["text"].startswith("扩散 &lt;模型&gt; &amp; @everyone")
    assert {"header", "context"} <= {block["type"] for block in slack.body["blocks"]}
    assert feishu.body["msg_type"] == "post" and feishu.body["timestamp"] == str(int(clock.now().timestamp()))
    assert feishu.body["content"]["post"]["zh_cn"]["title"] == "扩散 <模型> & @everyone"
    assert json_post.headers["Content-Type"] == "application/json; charset=utf-8"
    clock.advance(seconds=5)
    await app.tick()
    assert await app.drain() == 0
    assert len(receiver.received) == 3


async def test_each_url_gets_at_most_one_post_a_second(hooks, receiver, clock, write_post):
    app = hooks
    await subscribe_hook(app, receiver.url("a"), secret=SECRET)
    await publish(app, write_post, "one", date="2026-11-22T10:00:00Z")
    await publish(app, write_post, "two", date="2026-11-22T11:00:00Z")
    assert await app.drain() == 1  # WEBHOOK_URL_PER_S=1 from the registry's limits
    clock.advance(seconds=1.05)
    assert await app.drain() == 1
    assert [r.body["post"]["slug"] for r in receiver.on("a")] == ["one", "two"]


async def test_a_429_is_retried_after_the_wait_it_asks_for(hooks, receiver, clock, write_post):
    app = hooks
    slow = await subscribe_hook(app, receiver.url("slow"), secret=SECRET)
    bare = await subscribe_hook(app, receiver.url("bare"), secret=SECRET)
    receiver.check("slow", SECRET)
    receiver.check("bare", SECRET)
    receiver.answer("slow", 429, Retry_After="7")
    receiver.answer("bare", 429)  # no Retry-After: one second
    await publish(app, write_post, "p")
    assert await app.drain() == 0
    [row] = await deliveries(app, slow)
    assert row.status == "pending" and row.next_attempt_at == clock.now() + timedelta(seconds=7)
    [row] = await deliveries(app, bare)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=1)
    clock.advance(seconds=1.05)
    assert await app.drain() == 1
    assert [len(receiver.on("slow")), len(receiver.on("bare"))] == [1, 2]
    clock.advance(seconds=5.8)
    assert await app.drain() == 0 and len(receiver.on("slow")) == 1
    clock.advance(seconds=0.2)
    assert await app.drain() == 1
    assert len(receiver.on("slow")) == 2 and all(r.verified for r in receiver.received)


async def test_5xx_and_unreachable_urls_are_retried_with_backoff(hooks, receiver, clock, write_post):
    app = hooks
    flaky = await subscribe_hook(app, receiver.url("flaky"), secret=SECRET)
    down = await subscribe_hook(app, f"http://127.0.0.1:{closed_port()}/token-in-path", secret=SECRET)
    receiver.answer("flaky", 503, "upstream busy", times=2)
    await publish(app, write_post, "p")
    assert await app.drain() == 0
    [row] = await deliveries(app, flaky)
    wait = (row.next_attempt_at - clock.now()).total_seconds()
    assert row.status == "pending" and row.last_error == "HTTP 503: upstream busy" and 1.0 <= wait <= 2.0
    [row] = await deliveries(app, down)
    assert row.status == "pending" and row.last_error.startswith("ClientConnectorError")
    assert "token-in-path" not in row.last_error
    for _ in range(3):
        clock.advance(seconds=10)
        await app.drain()
    [row] = await deliveries(app, flaky)
    assert row.status == "sent" and row.attempts == 3 and len(receiver.on("flaky")) == 3
    [row] = await deliveries(app, down)
    assert row.status == "pending" and row.attempts >= 3  # retried until the attempt limit
    assert (await destination(app, down)).active


async def test_404_and_410_disable_the_destination_and_400_fails_one_message(
    hooks, receiver, write_post, clock
):
    app = hooks
    gone = await subscribe_hook(app, receiver.url("gone"), secret=SECRET)
    archived = await subscribe_hook(app, receiver.url("archived"), "slack")
    refused = await subscribe_hook(app, receiver.url("refused"), secret=SECRET)
    receiver.answer("gone", 404, "no_service")
    receiver.answer("archived", 410, "channel_is_archived")
    receiver.answer("refused", 400, "invalid_payload")
    await publish(app, write_post, "p")
    await app.drain()
    assert (await destination(app, gone)).disabled_reason == "HTTP 404: no_service"
    assert (await destination(app, archived)).disabled_reason == "HTTP 410: channel_is_archived"
    assert (await destination(app, refused)).active
    [row] = await deliveries(app, refused)
    assert row.status == "failed" and row.last_error == "HTTP 400: invalid_payload"
    clock.advance(seconds=2)
    await publish(app, write_post, "q")
    assert await app.drain() == 1
    assert [len(receiver.on(path)) for path in ("gone", "archived", "refused")] == [1, 1, 2]


async def test_feishu_refusals_in_a_200_answer(hooks, receiver, write_post, clock):
    app = hooks
    wrong = await subscribe_hook(app, receiver.url("wrong"), "feishu", "not-the-bots-secret")
    busy = await subscribe_hook(app, receiver.url("busy"), "feishu")
    receiver.check("wrong", FEISHU_SECRET, feishu=True)
    receiver.answer("busy", 200, '{"code":11232,"msg":"frequency limited psm"}')
    await publish(app, write_post, "p")
    assert await app.drain() == 0
    reason = (await destination(app, wrong)).disabled_reason
    assert reason is not None and reason.startswith("Feishu code 19021: sign match fail")
    [row] = await deliveries(app, busy)
    assert row.status == "pending" and row.next_attempt_at == clock.now() + timedelta(seconds=10)
    assert "sign" not in receiver.on("busy")[0].body  # no secret, no signing
    clock.advance(seconds=10)
    assert await app.drain() == 1


async def test_edits_and_deletes_reach_json_endpoints_only(hooks, receiver, write_post, clock):
    app = hooks
    app.settings.delete_removed = True
    await subscribe_hook(app, receiver.url("json"), "json", SECRET)
    await subscribe_hook(app, receiver.url("slack"), "slack")
    await subscribe_hook(app, receiver.url("feishu"), "feishu")
    path = write_post("p.md", "Title", date="2026-11-22", body="First body.", slug="p")
    await app.tick()
    await app.drain()
    clock.advance(seconds=2)
    write_post("p.md", "Title, fixed", date="2026-11-22", body="First body.", slug="p")
    await app.tick()
    assert await app.drain() == 3  # every edit is done: the chat formats had nothing to change
    clock.advance(seconds=2)
    path.unlink()
    await app.tick()
    assert await app.drain() == 3
    events = [(r.body["event"], r.body.get("post", {}).get("title")) for r in receiver.on("json")]
    assert events == [("post", "Title"), ("edited", "Title, fixed"), ("deleted", None)]
    assert receiver.on("json")[2].body == {"event": "deleted", "version": 1, "post": {"slug": "p"}}
    assert len(receiver.on("slack")) == 1 and len(receiver.on("feishu")) == 1


@pytest.fixture
def debug_logging(caplog):
    """The bot's own logging at DEBUG, every record also kept unredacted in caplog."""
    root, quiet = logging.getLogger(), ("aiosqlite", "alembic", "apscheduler", "httpx")
    saved = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in quiet})
    configure("DEBUG", [])
    root.addHandler(caplog.handler)
    yield caplog
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


async def test_secrets_and_url_tokens_never_reach_logs_or_status(
    hooks, receiver, write_post, clock, debug_logging
):
    app, caplog = hooks, debug_logging
    token = "T0123/B0456/sEcReTtOkEn789"
    hooks_made = [
        await subscribe_hook(app, f"{receiver.url('echo')}?{token}", "slack", SECRET),
        await subscribe_hook(app, receiver.url("gone"), "json", SECRET),
        await subscribe_hook(app, f"http://127.0.0.1:{closed_port()}/{token}", "json", SECRET),
    ]
    # A receiver that echoes what it got: the secret and the URL's token come back in its answer.
    receiver.answer("echo", 500, f"bad request to /echo?{token} signed with {SECRET}", times=9)
    receiver.answer("gone", 404, f"unknown hook {SECRET}")
    await publish(app, write_post, "p")
    for _ in range(3):
        await app.drain()
        clock.advance(seconds=10)
    async with app.sessions() as session:
        report = await status(session, clock.now())
    shown = [caplog.text, repr(report)]
    for chat_id in hooks_made:
        shown += [row.last_error or "" for row in await deliveries(app, chat_id)]
        shown.append((await destination(app, chat_id)).disabled_reason or "")
    assert "failed: HTTP 500" in caplog.text and "***" in "".join(shown)
    for text in shown:
        assert SECRET not in text and token not in text
