"""Digests on a due-time index: one job, one indexed query, at most one digest an hour."""

import itertools
from datetime import timedelta

from sqlalchemy import event, select

from bot.scheduler import Jobs
from bot.services import digests
from bot.services.operators import OwnerCommands
from bot.store.destinations import Subscription, subscribe
from bot.store.models import Delivery, Destination
from bot.store.status import status
from tests.both_databases import database_url  # noqa: F401  (these queries run on both databases)

_chats = itertools.count(10_000)


async def add_digests(app, clock, count, cron="0 * * * *", zone="UTC"):
    async with app.sessions.begin() as session:
        for _ in range(count):
            wish = Subscription("telegram", str(next(_chats)), digest_cron=cron, digest_tz=zone)
            await subscribe(session, wish, clock.now())


def count_statements(app):
    seen = []
    event.listen(app.engine.sync_engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


async def digest_rows(app):
    async with app.sessions() as session:
        return (await session.execute(select(Delivery).where(Delivery.kind == "digest"))).scalars().all()


async def test_checking_digests_costs_the_same_for_ten_or_three_hundred(app, clock, monkeypatch):
    await add_digests(app, clock, 10)
    await app.check_digests()  # plans the new ones once
    statements = count_statements(app)
    await app.check_digests()
    few = len(statements)
    await add_digests(app, clock, 290, cron="30 */2 * * *", zone="Asia/Shanghai")
    await app.check_digests()
    statements.clear()
    parsed = []
    real = digests.parse_schedule
    monkeypatch.setattr(digests, "parse_schedule", lambda *a: parsed.append(a) or real(*a))
    await app.check_digests()
    assert len(statements) == few  # nothing due: one indexed query whatever the number of chats
    assert parsed == []  # and no schedule looked at
    clock.advance(minutes=31)
    assert await app.check_digests() == 0  # no posts, no digests: but 290 fell due and moved on
    assert {a for a in parsed} == {("30 */2 * * *", "Asia/Shanghai")}


async def test_one_scheduler_job_whatever_the_number_of_schedules(app, clock):
    for minute in range(0, 60, 7):
        await add_digests(app, clock, 3, cron=f"{minute} */3 * * *")
    await app.check_digests()
    app.jobs = Jobs(app.tick, 60)
    try:
        await app.cycle.plan_digests()
        jobs = [job.id for job in app.jobs.scheduler.get_jobs() if job.id != "scan"]
        assert jobs == ["digest"]
        async with app.sessions() as session:
            due = await digests.next_due(session)
        assert due == clock.now().replace(minute=7)  # now is 12:00: 12:07 is the first fire
    finally:
        app.jobs = None


async def test_due_digests_go_out_once_and_move_on(app, clock, write_post):
    await add_digests(app, clock, 3, cron="15 * * * *")
    write_post("a.md", "A", date="2026-11-22T12:05:00Z", slug="a")
    clock.advance(minutes=10)
    await app.tick()
    assert await digest_rows(app) == []
    clock.advance(minutes=6)  # 12:16
    assert await app.check_digests() == 3
    assert await app.check_digests() == 0
    async with app.sessions() as session:
        dues = set((await session.execute(select(Destination.next_digest_at))).scalars())
    assert dues == {clock.now().replace(hour=13, minute=15, second=0)}


async def test_a_bot_down_for_a_day_sends_one_digest_not_twenty_four(app, clock, write_post):
    await add_digests(app, clock, 1, cron="0 * * * *")
    write_post("a.md", "A", date="2026-11-22T12:30:00Z", slug="a")
    clock.advance(days=1)
    await app.tick()
    [row] = await digest_rows(app)
    assert row.dedupe_key.endswith("2026-11-23T12:00:00+00:00")


async def test_a_stored_every_minute_schedule_still_waits_an_hour(app, clock, write_post):
    async with app.sessions.begin() as session:  # stored before the hourly rule (or by an operator)
        wish = Subscription("telegram", "77", digest_cron="* * * * *")
        await subscribe(session, wish, clock.now())
    start = clock.now()
    for minute in range(1, 121):
        date = (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:00Z")
        write_post(f"p{minute}.md", f"P{minute}", date=date, slug=f"p{minute}")
    await app.scan()  # a post every minute, each published when its minute comes
    for _ in range(120):
        clock.advance(minutes=1)
        await app.check_digests()
    rows = await digest_rows(app)
    assert len(rows) == 2  # two hours, a post every minute: one digest an hour


async def test_a_bad_stored_zone_fails_only_its_destination_and_status_says_why(app, clock, write_post):
    await add_digests(app, clock, 1, cron="0 * * * *")
    await add_digests(app, clock, 1, cron="0 * * * *", zone="Mars/Olympus")  # stored unchecked
    write_post("a.md", "A", date="2026-11-22T12:30:00Z", slug="a")
    clock.advance(hours=1)
    await app.tick()  # neither this nor the digest check raises for the bad zone
    assert await app.check_digests() == 0
    [row] = await digest_rows(app)  # the good destination's digest went out all the same
    async with app.sessions() as session:
        good, bad = (await session.execute(select(Destination).order_by(Destination.id))).scalars().all()
        report = await status(session, clock.now(), check=digests.schedule_problem)
    assert row.destination_id == good.id and bad.active
    problems = {line["chat_id"]: line["problem"] for line in report["digests"]}
    assert problems[good.chat_id] is None
    assert problems[bad.chat_id].startswith("unknown time zone 'Mars/Olympus'")
    owner = await OwnerCommands(app.sessions, clock, lambda: None).status("", "en")
    assert any("Mars/Olympus" in line for line in owner.lines)
