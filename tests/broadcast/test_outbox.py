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


async def test_every_broadcast_decision_is_logged_once(app, clock, write_post, caplog):
    import logging

    caplog.set_level(logging.INFO)
    write_post("seed.md", "Seed", date="2026-11-01", slug="seed")
    await app.tick()  # the first index: what is already published is recorded, not sent
    async with app.sessions.begin() as session:
        await subscribe(session, Subscription("telegram", "1"), clock.now())
        await subscribe(session, Subscription("telegram", "2", categories=("Other",)), clock.now())
    write_post("a.md", "A", date="2026-11-22", slug="a")
    write_post("old.md", "Old", date="2026-01-01", slug="old")
    write_post("later.md", "Later", date="2026-11-25", slug="later")
    for _ in range(3):
        await app.tick()  # later scans repeat nothing
    clock.advance(days=4)
    await app.tick()
    await app.tick()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("broadcast")]
    assert said == [
        "broadcast: first index, so the posts already published are recorded, not sent "
        "(`run --backfill N` sends the newest N)",
        "broadcast 'old': not sent: older than BROADCAST_MAX_AGE (3d) when first seen "
        "(published 2026-01-01T00:00:00+00:00)",
        "broadcast 'a': sent to 1 destination",
        "broadcast 'later': scheduled for 2026-11-25T00:00:00+00:00",
        "broadcast 'later': sent to 1 destination",
    ]


async def test_a_post_no_subscription_takes_says_so(app, clock, write_post, caplog):
    import logging

    await app.tick()
    async with app.sessions.begin() as session:
        await subscribe(session, Subscription("telegram", "1", categories=("Python",)), clock.now())
    write_post("a.md", "A", date="2026-11-22", slug="a", category="扩散")
    write_post("b.md", "B", date="2026-11-22", slug="b", category="Python")
    caplog.set_level(logging.INFO)
    await app.tick()
    said = sorted(r.getMessage() for r in caplog.records if r.getMessage().startswith("broadcast '"))
    assert said == [
        "broadcast 'a': sent to 0 destinations: no instant subscription takes category '扩散'",
        "broadcast 'b': sent to 1 destination",
    ]
