"""AiohttpRequest: PTB's calls over aiohttp, answered and refused as with PTB's own HTTPXRequest."""

import asyncio
from datetime import UTC

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.app import build_app
from bot.platforms.telegram.platform import TelegramPlatform, bot_request
from bot.platforms.telegram.request import AiohttpRequest
from bot.settings import SettingsError, load_settings
from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:TEST-token"


async def send_both_ways(server: FakeTelegram, chat: int, request: AiohttpRequest | None) -> None:
    bot = Bot(TOKEN, base_url=server.base_url, request=request)
    async with bot:
        await bot.send_message(
            chat,
            '<b>扩散</b> &amp; <a href="https://b.example/p">链接</a>',
            parse_mode="HTML",
            link_preview_options=LinkPreviewOptions(url="https://b.example/p", prefer_small_media=True),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("读", callback_data="read:1")]]),
            disable_notification=True,
        )


async def test_a_message_arrives_as_it_does_through_httpx():
    async with FakeTelegram(token=TOKEN) as server:
        await send_both_ways(server, 1, None)  # PTB's default HTTPXRequest
        await send_both_ways(server, 2, AiohttpRequest())
    (httpx,), (ours,) = server.messages[1], server.messages[2]
    assert (ours.raw, ours.text, ours.entities) == (httpx.raw, httpx.text, httpx.entities)
    assert ours.reply_markup == httpx.reply_markup
    assert ours.link_preview_options == httpx.link_preview_options


@pytest.mark.parametrize(
    ("code", "description", "parameters", "error"),
    [
        (400, "Bad Request: chat not found", None, BadRequest),
        (403, "Forbidden: bot was blocked by the user", None, Forbidden),
        (429, "Too Many Requests: retry after 7", {"retry_after": 7}, RetryAfter),
        (502, "Bad Gateway", None, NetworkError),
    ],
)
async def test_refusals_raise_ptbs_errors(code, description, parameters, error, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram(token=TOKEN) as server:
        server.fail_next(5, error_code=code, description=description, parameters=parameters)
        async with Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot:
            with pytest.raises(error) as raised:
                await bot.send_message(5, "hello")
    if error is RetryAfter:
        assert raised.value.retry_after.total_seconds() == 7


async def test_a_file_goes_as_multipart():
    async with (
        FakeTelegram(token=TOKEN) as server,
        Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot,
    ):
        await bot.send_photo(9, photo=b"\x89PNG fake bytes", caption="<i>cover</i>", parse_mode="HTML")
    (photo,) = server.messages[9]
    assert photo.photo and photo.text == "cover"


async def test_an_unreachable_server_is_a_network_error():
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_no_answer_within_the_read_timeout_is_timed_out():
    silent = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await silent.wait()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(read_timeout=0.05)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")
    finally:
        silent.set()
        await request.shutdown()
        server.close()
        await server.wait_closed()


async def test_no_more_connections_than_the_pool_allows():
    peers: set[int] = set()
    in_flight, most = 0, 0

    async def answer(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        peers.add(request.transport.get_extra_info("peername")[1])
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0)  # let the other calls arrive if they can
        in_flight -= 1
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    request = AiohttpRequest(connection_pool_size=2)
    await request.initialize()
    try:
        url = f"http://127.0.0.1:{port}/bot{TOKEN}/close"
        answers = await asyncio.gather(*(request.do_request(url, "POST") for _ in range(12)))
    finally:
        await request.shutdown()
        await runner.cleanup()
    assert {status for status, _ in answers} == {200}
    assert len(peers) <= 2 and most <= 2  # keep-alive: 12 calls over at most 2 connections


async def test_the_proxy_from_the_environment_is_used_unless_no_proxy_exempts(monkeypatch):
    dead = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    dead_port = dead.sockets[0].getsockname()[1]
    dead.close()
    await dead.wait_closed()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead_port}")
    async with FakeTelegram(token=TOKEN) as server:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()) as bot:
            assert (await bot.get_me()).id == 123456
        monkeypatch.delenv("NO_PROXY")
        with pytest.raises(NetworkError):
            async with Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest()):
                pass  # initialize calls getMe: through the proxy, which is not there


def test_the_client_and_pool_size_are_chosen_by_name():
    ours = bot_request("aiohttp", 7)
    assert isinstance(ours, AiohttpRequest) and ours.connection_pool_size == 7
    assert isinstance(bot_request("httpx", 7), HTTPXRequest)


@pytest.mark.parametrize(("client", "kind"), [("aiohttp", AiohttpRequest), ("httpx", HTTPXRequest)])
async def test_the_platforms_bot_uses_the_configured_client(tmp_path, client, kind):
    settings = load_settings(
        posts_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", _env_file=None
    )
    app = build_app(settings)
    try:
        platform = TelegramPlatform(
            token=TOKEN, commands=app.commands, services=app.services, clock=app.clock, zone=UTC,
            default_lang="en", owners=frozenset(), http=client, connections=7,
        )  # fmt: skip
    finally:
        await app.close()
    request = platform.application.bot.request
    assert isinstance(request, kind)
    if isinstance(request, AiohttpRequest):
        assert request.connection_pool_size == 7


def test_an_unknown_client_is_refused_by_name():
    with pytest.raises(SettingsError, match="TELEGRAM_HTTP_CLIENT"):
        load_settings(telegram_http_client="curl", _env_file=None)
