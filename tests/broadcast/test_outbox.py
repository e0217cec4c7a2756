from datetime import timedelta

from bot.broadcast.outbox import announce_due, insert_new, row
from bot.store.destinations import Subscription, subscribe


async def test_dedupe_key_makes_inserts_idempotent_and_counts_are_true(app, clock):
    async with app.sessions.begin() as session:
        destination, _ = await subscribe(session, Subscription("telegram", "1"), clock.now())
        rows = [row(destination.id, "digest", f"digest:{i}", clock.now()) for i in range(3)]
        assert await insert_new(session, rows) == 3
        assert await insert_new(session, rows) == 0
        assert await insert_new(session, [*rows, row(destination.id, "digest", "digest:9", clock.now())]) == 1


async def test_announce_report_counts(app, clock, write_post):
    await app.scan()  # first scan of the empty folder
    async with app.sessions.begin() as session:
        for chat in ("1", "2"):
            await subscribe(session, Subscription("telegram", chat), clock.now())
    write_post("a.md", "A", date="2026-11-22", slug="a")
    write_post("old.md", "Old", date="2026-01-01", slug="old")
    await app.scan()
    async with app.sessions.begin() as session:
        report = await announce_due(session, clock.now(), timedelta(days=3))
    assert (report.announced, report.skipped_old, report.deliveries) == (1, 1, 2)
    async with app.sessions.begin() as session:
        assert (await announce_due(session, clock.now(), timedelta(days=3))).announced == 0
