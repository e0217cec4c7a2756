import aiohttp
import pytest

from bot.broadcast.outbox import insert_new, row
from bot.health import HealthServer
from bot.store.database import create_engine, session_factory
from bot.store.destinations import Subscription, subscribe


@pytest.fixture
async def served(app):
    state = {"role": "leader", "scheduler": True}
    server = HealthServer(app.sessions, lambda: state["role"], lambda: state["scheduler"], "127.0.0.1", 0)
    await server.start()
    async with aiohttp.ClientSession(f"http://127.0.0.1:{server.port}") as http:
        yield http, state
    await server.stop()


async def test_healthz_reflects_role_scheduler_and_database(app, served):
    http, state = served
    ok = await http.get("/healthz")
    assert ok.status == 200 and (await ok.json()) == {"status": "ok", "role": "leader", "problems": []}
    state["scheduler"] = False
    stopped = await http.get("/healthz")
    assert stopped.status == 503 and "scheduler is not running" in (await stopped.json())["problems"]
    state["role"] = "standby"  # a standby has no scheduler and is healthy
    assert (await http.get("/healthz")).status == 200


async def test_healthz_is_503_when_the_database_does_not_answer():
    # Nothing listens on port 1 of the loopback: connecting fails at once.
    engine = create_engine("postgresql://nobody@127.0.0.1:1/none")
    server = HealthServer(session_factory(engine), lambda: "leader", lambda: True, "127.0.0.1", 0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            down = await http.get(f"http://127.0.0.1:{server.port}/healthz")
            assert down.status == 503 and (await down.json())["problems"][0].startswith("database")
    finally:
        await server.stop()
        await engine.dispose()


async def test_metrics_expose_queue_depth_and_disabled_destinations(app, served, clock):
    http, _ = served
    async with app.sessions.begin() as session:
        destination, _ = await subscribe(session, Subscription("telegram", "1"), clock.now())
        await subscribe(session, Subscription("discord", "2"), clock.now())
        await insert_new(session, [row(destination.id, "digest", f"k{i}", clock.now()) for i in range(3)])
        destination2, _ = await subscribe(session, Subscription("telegram", "3"), clock.now())
        destination2.active = False
    text = await (await http.get("/metrics")).text()
    assert 'transmission_queue_depth{platform="telegram"} 3.0' in text
    assert 'transmission_queue_depth{platform="discord"} 0.0' in text
    assert 'transmission_disabled_destinations{platform="telegram"} 1.0' in text
    names = [
        "transmission_deliveries_total",
        "transmission_rate_limited_total",
        "transmission_retries_total",
        "transmission_scan_duration_seconds",
        "transmission_last_scan_timestamp_seconds",
        "transmission_posts_indexed",
    ]
    for name in names:
        assert f"# TYPE {name.removesuffix('_total')}" in text


async def test_a_scan_that_keeps_failing_makes_healthz_say_so(app, write_post):
    from sqlalchemy import text

    write_post("a.md", "A")
    async with app.engine.begin() as connection:
        await connection.execute(text("DROP TABLE files_seen"))  # the store broke under the bot
    server = HealthServer(
        app.sessions, lambda: "leader", lambda: True, "127.0.0.1", 0, problems=app.cycle.problems
    )
    await server.start()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{server.port}") as http:
            for _ in range(3):
                report = await app.tick()  # the bot stays up: the failure is counted, not raised
                assert report.indexed == 0
            answer = await http.get("/healthz")
            body = await answer.json()
            assert answer.status == 503
            assert body["problems"][0].startswith("scan failing (3 in a row): OperationalError")
    finally:
        await server.stop()
