"""The fake Discord REST API, driven by the real discord.py over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord.http import Route

from tests.fakes.discord_payloads import FORUM, PUBLIC_THREAD, VOICE
from tests.fakes.discord_server import GUILD, FakeDiscord

NONE = discord.AllowedMentions.none()


@pytest.fixture
def now() -> list[float]:
    return [1000.0]  # the fake clock: tests move it by hand instead of sleeping


@pytest.fixture
async def server(now: list[float]) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(clock=lambda: now[0]) as fake:
        yield fake


@pytest.fixture
async def client(server: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[discord.Client]:
    monkeypatch.setattr(Route, "BASE", server.base_url)
    bot = discord.Client(intents=discord.Intents(guilds=True), max_ratelimit_timeout=30)
    await bot.login(server.token)
    yield bot
    await bot.close()


def channel(client: discord.Client, channel_id: int) -> discord.PartialMessageable:
    return client.get_partial_messageable(channel_id)


async def test_login_send_edit_delete(server: FakeDiscord, client: discord.Client) -> None:
    assert client.user is not None and client.user.id == server.bot_id
    assert client.application_id == server.application_id
    embed = discord.Embed(title="T", description="d", url="https://b.example/p", color=0x00E5FF)
    sent = await channel(client, 111).send(embed=embed, allowed_mentions=NONE, silent=True)
    [stored] = server.sent(111)
    assert (sent.id, sent.embeds[0].title, stored.body["flags"]) == (stored.id, "T", 4096)
    assert stored.body["allowed_mentions"] == {"parse": []}
    edited = await sent.edit(embed=discord.Embed(title="T2"), allowed_mentions=NONE)
    assert (edited.embeds[0].title, server.sent(111)[0].edited) == ("T2", True)
    await sent.delete()
    assert server.sent(111) == []
    with pytest.raises(discord.NotFound) as gone:
        await sent.delete()
    assert gone.value.code == 10008
    assert [r.path.rsplit("/", 1)[-1] for r in server.requests[:2]] == ["@me", "@me"]


async def test_json_answers_have_exactly_the_content_type_discord_py_parses(server: FakeDiscord) -> None:
    headers = {"Authorization": f"Bot {server.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.base_url}/users/@me", headers=headers) as response:
            assert response.headers["Content-Type"] == "application/json"
        async with http.get(
            f"{server.base_url}/users/@me", headers={"Authorization": "Bot nope"}
        ) as response:
            assert (response.status, (await response.json())["message"]) == (401, "401: Unauthorized")
        async with http.post(
            f"{server.base_url}/channels/1/messages", headers=headers, data=b"{"
        ) as response:
            assert (response.status, (await response.json())["code"]) == (400, 50109)


@pytest.mark.parametrize(
    ("embed", "fragment"),
    [
        ({"title": "x" * 257}, "embeds.0.title: Must be 256 or fewer in length."),
        ({"description": "x" * 4097}, "embeds.0.description: Must be 4096 or fewer"),
        ({"footer": {"text": "x" * 2049}}, "embeds.0.footer.text"),
        ({"url": "javascript:alert(1)"}, "Not a well formed URL."),
        (
            {"description": "x" * 4000, "fields": [{"name": "n", "value": "v" * 1000}] * 2},
            "maximum size of 6000",
        ),
    ],
)
async def test_embed_limits(client: discord.Client, embed: dict, fragment: str) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await channel(client, 1).send(embed=discord.Embed.from_dict(embed), allowed_mentions=NONE)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert fragment in refused.value.text


async def test_component_and_mention_rules(server: FakeDiscord, client: discord.Client) -> None:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=1)
    row = {
        "type": 1,
        "components": [{"type": 2, "style": 1, "label": str(i), "custom_id": f"c{i}"} for i in range(6)],
    }
    cases = [
        ({"content": "x", "allowed_mentions": {"parse": []}, "components": [row]}, "between 1 and 5"),
        ({"content": "x", "allowed_mentions": {"parse": []}, "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "a", "custom_id": "x" * 101}]}]}, "between 1 and 100"),
        ({"content": "x", "allowed_mentions": {"parse": []}, "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "a", "custom_id": "same"}] * 2}]}, "cannot be duplicated"),
        ({"content": "@everyone"}, 'allowed_mentions must be {"parse": []}'),
        ({"content": "x", "allowed_mentions": {"parse": ["everyone"]}}, "allowed_mentions"),
    ]  # fmt: skip
    for body, fragment in cases:
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.request(route, json=body)
        assert fragment in refused.value.text, body
    with pytest.raises(discord.HTTPException, match="Cannot send an empty message"):
        await client.http.request(route, json={"allowed_mentions": {"parse": []}})
    assert server.sent(1) == []
    async with FakeDiscord(strict_mentions=False) as lenient, aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {lenient.token}"}
        body = {"content": "fine on Discord itself"}
        async with http.post(
            f"{lenient.base_url}/channels/1/messages", headers=headers, json=body
        ) as response:
            assert response.status == 200
        assert len(lenient.sent(1)) == 1


async def test_channel_window_and_rate_limit_headers(server: FakeDiscord, now: list[float]) -> None:
    # Raw HTTP: discord.py itself would (rightly) sleep in real time once a bucket says Remaining 0.
    headers = {"Authorization": f"Bot {server.token}", "Content-Type": "application/json"}
    body = b'{"content": "m", "allowed_mentions": {"parse": []}}'
    url = f"{server.base_url}/channels/7/messages"
    async with aiohttp.ClientSession() as http:
        for left in (4, 3, 2, 1, 0):
            async with http.post(url, headers=headers, data=body) as response:
                assert response.status == 200
                assert response.headers["X-RateLimit-Remaining"] == str(left)
                assert response.headers["X-RateLimit-Bucket"]
            now[0] += 0.1
        async with http.post(url, headers=headers, data=body) as response:
            answer = await response.json()
            assert (response.status, response.headers["Via"], answer["global"]) == (429, "1.1 google", False)
            assert 4.4 < answer["retry_after"] <= 4.5
            assert response.headers["X-RateLimit-Scope"] == "user"
        async with http.post(url.replace("/7/", "/8/"), headers=headers, data=body) as response:
            assert response.status == 200  # another channel has its own window
        now[0] += 4.5
        async with http.post(url, headers=headers, data=body) as response:
            assert response.status == 200  # the oldest send has aged out; the refused one never counted
    assert server.rate_limited == 1
    assert len(server.sent(7)) == 6


async def test_global_limit_across_channels(server: FakeDiscord, now: list[float]) -> None:
    headers = {"Authorization": f"Bot {server.token}", "Content-Type": "application/json"}
    body = b'{"content": "m", "allowed_mentions": {"parse": []}}'
    statuses = []
    async with aiohttp.ClientSession() as http:
        for channel_id in range(1, 52):
            async with http.post(
                f"{server.base_url}/channels/{channel_id}/messages", headers=headers, data=body
            ) as r:
                statuses.append(r.status)
                if r.status == 429:
                    assert (await r.json())["global"] is True and r.headers["X-RateLimit-Global"] == "true"
    assert statuses == [200] * 50 + [429]


async def test_a_channel_bucket_resets_whole_as_its_headers_say(
    server: FakeDiscord, now: list[float]
) -> None:
    # Discord: Reset-After is when "the current rate limit bucket will reset", and discord.py then
    # takes the whole limit as free again. A sliding window would refuse the second of those sends.
    headers = {"Authorization": f"Bot {server.token}", "Content-Type": "application/json"}
    body = b'{"content": "m", "allowed_mentions": {"parse": []}}'
    url = f"{server.base_url}/channels/7/messages"
    async with aiohttp.ClientSession() as http:
        for _ in range(5):
            async with http.post(url, headers=headers, data=body) as response:
                assert response.status == 200
            now[0] += 0.5
        async with http.post(url, headers=headers, data=body) as refused:
            assert (refused.status, (await refused.json())["retry_after"]) == (429, 2.5)
            # a route's 429 carries its bucket's headers, as in Discord's documented example
            assert refused.headers["X-RateLimit-Remaining"] == "0"
            assert refused.headers["X-RateLimit-Bucket"] and refused.headers["X-RateLimit-Scope"] == "user"
        now[0] += 2.5  # 5 s after the bucket's first send: it resets whole
        for left in (4, 3, 2, 1, 0):
            async with http.post(url, headers=headers, data=body) as response:
                assert (response.status, response.headers["X-RateLimit-Remaining"]) == (200, str(left))
                assert float(response.headers["X-RateLimit-Reset-After"]) == pytest.approx(5.0)
    assert server.rate_limited == 1


async def test_refused_requests_count_against_the_global_limit(server: FakeDiscord) -> None:
    server.forbid(9)
    headers = {"Authorization": f"Bot {server.token}", "Content-Type": "application/json"}
    body = b'{"content": "m", "allowed_mentions": {"parse": []}}'
    async with aiohttp.ClientSession() as http:
        for _ in range(50):
            async with http.post(f"{server.base_url}/channels/9/messages", headers=headers, data=body) as r:
                assert r.status == 403
        async with http.post(f"{server.base_url}/channels/10/messages", headers=headers, data=body) as r:
            assert (r.status, r.headers["X-RateLimit-Global"]) == (429, "true")


async def test_discord_py_keeps_to_the_buckets_it_learns() -> None:
    # Real time, on a 0.2 s bucket: one send after another, discord.py sleeps out Remaining 0 for
    # as long as Reset-After says (rounded up, so never early) and the fake refuses none.
    async with FakeDiscord(per_channel=2, channel_window=0.2) as fake:
        bot = discord.Client(intents=discord.Intents(guilds=True), max_ratelimit_timeout=30)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Route, "BASE", fake.base_url)
            await bot.login(fake.token)
            try:
                for i in range(7):
                    await channel(bot, 5).send(f"m{i}", allowed_mentions=NONE)
            finally:
                await bot.close()
    assert fake.rate_limited == 0 and len(fake.sent(5)) == 7


async def test_a_short_429_is_waited_out_by_discord_py_a_cloudflare_one_is_not(server, client):
    server.rate_limit(3, retry_after=0.01)
    await channel(client, 3).send("after a short wait", allowed_mentions=NONE)
    assert [r.status for r in server.requests if r.path.endswith("/3/messages")] == [429, 200]
    server.rate_limit(3, retry_after=0.01, via=False)
    with pytest.raises(discord.HTTPException) as banned:
        await channel(client, 3).send("no", allowed_mentions=NONE)
    assert banned.value.status == 429
    server.rate_limit(3, retry_after=60, everywhere=True)
    with pytest.raises(discord.RateLimited) as long_wait:  # longer than max_ratelimit_timeout
        await channel(client, 3).send("no", allowed_mentions=NONE)
    assert long_wait.value.retry_after == 60
    assert server.rate_limited == 3


async def test_scripted_failures(server: FakeDiscord, client: discord.Client) -> None:
    server.forbid(10, code=50001)
    with pytest.raises(discord.Forbidden) as missing:
        await channel(client, 10).send("x", allowed_mentions=NONE)
    assert (missing.value.code, missing.value.text) == (50001, "Missing Access")
    server.allow(10)
    await channel(client, 10).send("access is back", allowed_mentions=NONE)
    server.remove_channel(11)
    with pytest.raises(discord.NotFound) as unknown:
        await channel(client, 11).send("x", allowed_mentions=NONE)
    assert unknown.value.code == 10003
    server.fail_with_5xx(12)
    with pytest.raises(discord.DiscordServerError):
        await channel(client, 12).send("x", allowed_mentions=NONE)
    await channel(client, 12).send("one failure, then normal", allowed_mentions=NONE)
    server.fail_next(13, 400, 50083, "Thread is archived", times=2)
    for _ in range(2):
        with pytest.raises(discord.HTTPException, match="Thread is archived"):
            await channel(client, 13).send("x", allowed_mentions=NONE)
    server.add_channel(14, VOICE)
    with pytest.raises(discord.HTTPException) as voice:
        await channel(client, 14).send("x", allowed_mentions=NONE)
    assert voice.value.code == 50008


async def test_forums_take_posts_not_messages(server: FakeDiscord, client: discord.Client) -> None:
    tags = [{"id": "77", "name": "ML", "moderated": False, "emoji_id": None, "emoji_name": None}]
    server.add_channel(20, FORUM, tags=tags, require_tag=True)
    with pytest.raises(discord.HTTPException, match="Cannot send messages in a non-text channel"):
        await channel(client, 20).send("x", allowed_mentions=NONE)
    forum = await client.fetch_channel(20)
    assert isinstance(forum, discord.ForumChannel) and forum.flags.require_tag
    with pytest.raises(discord.HTTPException, match="A tag is required"):
        await forum.create_thread(name="post", embed=discord.Embed(title="t"), allowed_mentions=NONE)
    created = await forum.create_thread(
        name="post", embed=discord.Embed(title="t"), applied_tags=forum.available_tags, allowed_mentions=NONE
    )
    [thread] = server.threads_of(20)
    assert (created.thread.id, created.message.id, thread.type, thread.applied_tags) == (
        thread.id, thread.id, PUBLIC_THREAD, ["77"],
    )  # fmt: skip
    assert server.sent(thread.id)[0].embeds[0]["title"] == "t"
    await channel(client, thread.id).send("a reply in the post", allowed_mentions=NONE)
    await client.http.delete_channel(thread.id)
    with pytest.raises(discord.NotFound):
        await channel(client, thread.id).send("gone", allowed_mentions=NONE)


async def test_command_sync_is_recorded_and_validated(server: FakeDiscord, client: discord.Client) -> None:
    good = [{"name": "latest", "description": "Latest", "type": 1, "options": []}]
    await client.http.bulk_upsert_global_commands(server.application_id, payload=good)
    await client.http.bulk_upsert_guild_commands(server.application_id, GUILD, payload=good)
    assert [(guild, [c["name"] for c in payload]) for guild, payload in server.syncs] == [
        (None, ["latest"]), (GUILD, ["latest"]),
    ]  # fmt: skip
    assert server.commands[None][0]["id"]
    for bad in (
        [{"name": "Latest", "description": "x"}],
        [{"name": "x", "description": "d" * 101}],
        good * 2,
    ):
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.bulk_upsert_global_commands(server.application_id, payload=bad)
        assert refused.value.code == 50035
    assert len(server.syncs) == 2


async def test_interaction_callbacks_follow_discords_rules(server: FakeDiscord, client: discord.Client, now):
    payload = server.new_interaction(2, {"name": "help"}, channel_id=5, locale="zh-CN")
    assert payload["member"]["permissions"] == "0" and payload["guild_id"] == str(GUILD)
    route = Route("POST", "/interactions/{i}/{t}/callback", i=payload["id"], t=payload["token"])
    body = {"type": 4, "data": {"content": "hi", "allowed_mentions": {"parse": []}, "flags": 64}}
    answer = await client.http.request(route, json=body, params={"with_response": "1"})
    assert answer["interaction"]["response_message_ephemeral"] is True
    with pytest.raises(discord.HTTPException) as twice:
        await client.http.request(route, json=body)
    assert twice.value.code == 40060
    late = server.new_interaction(2, {"name": "help"}, channel_id=5)
    now[0] += 3.5
    route = Route("POST", "/interactions/{i}/{t}/callback", i=late["id"], t=late["token"])
    with pytest.raises(discord.NotFound) as expired:
        await client.http.request(route, json=body)
    assert expired.value.code == 10062
    interaction = server.interactions[int(payload["id"])]
    assert interaction.answered_type == 4 and interaction.original.body["content"] == "hi"


async def test_wait_until_wakes_on_requests(server: FakeDiscord, client: discord.Client) -> None:
    waiter = asyncio.create_task(server.wait_until(lambda: server.sent(9)))
    await asyncio.sleep(0)
    assert not waiter.done()
    await channel(client, 9).send("wake up", allowed_mentions=NONE)
    await asyncio.wait_for(waiter, 5)
    with pytest.raises(TimeoutError):
        await server.wait_until(lambda: False, limit=0.05)


async def test_latency_delays_each_answer_by_a_round_trip() -> None:
    async with FakeDiscord(latency=0.05) as fake, aiohttp.ClientSession() as http:
        started = asyncio.get_running_loop().time()
        async with http.get(
            f"{fake.base_url}/users/@me", headers={"Authorization": f"Bot {fake.token}"}
        ) as r:
            assert r.status == 200
        assert asyncio.get_running_loop().time() - started >= 0.05
        assert fake.requests[0].time - started >= 0.025  # stamped on arrival, half a round trip in
