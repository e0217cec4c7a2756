"""The engine end to end in-process: outbox rows, pacing, failures, with a fake clock."""

import asyncio

import pytest
from sqlalchemy import select

from bot.broadcast.dispatcher import EngineSettings
from bot.broadcast.sender import BadMessage, DestinationGone, DestinationMoved, RetryAfter, RetryLater
from bot.content.models import LatestPage, Transmission
from bot.store.destinations import Subscription, subscribe
from bot.store.models import Delivery, Destination
from tests.fakes.platform import FakePlatform


@pytest.fixture
async def tg(app, clock):
    platform = FakePlatform("telegram", clock)
    app.add_platform(platform)
    await app.tick()  # the first scan of an empty folder
    return platform


async def add(app, clock, *chat_ids, **options):
    async with app.sessions.begin() as session:
        for chat_id in chat_ids:
            kind = "group" if chat_id.startswith("-") else "private"
            await subscribe(session, Subscription("telegram", chat_id, kind=kind, **options), clock.now())


async def deliveries(app):
    async with app.sessions() as session:
        return (await session.execute(select(Delivery).order_by(Delivery.id))).scalars().all()


async def destination(app, chat_id):
    async with app.sessions() as session:
        return (await session.execute(select(Destination).where(Destination.chat_id == chat_id))).scalar_one()


async def publish(app, write_post, slug, **meta):
    write_post(f"{slug}.md", meta.pop("title", slug), date=meta.pop("date", "2026-11-22"), slug=slug, **meta)
    await app.tick()


async def test_each_destination_gets_a_new_post_once(app, clock, tg, write_post):
    await add(app, clock, "1", "2", "-100")
    await publish(app, write_post, "hello")
    assert await app.drain() == 3
    assert sorted(tg.chats()) == ["-100", "1", "2"]
    assert all(isinstance(s.view, Transmission) and s.view.slug == "hello" for s in tg.sent)
    rows = await deliveries(app)
    assert {r.status for r in rows} == {"sent"} and all(r.message_ids for r in rows)
    await app.tick()
    clock.advance(seconds=5)
    assert await app.drain() == 0


async def test_category_filters_apply(app, clock, tg, write_post):
    await add(app, clock, "1", categories=("Python",))
    await add(app, clock, "2")
    await publish(app, write_post, "a", category="生成模型")
    await publish(app, write_post, "b", category="python")
    await app.drain()
    assert sorted((s.chat_id, s.view.slug) for s in tg.sent) == [("1", "b"), ("2", "a")]
    clock.advance(seconds=2)
    await app.drain()
    assert sorted((s.chat_id, s.view.slug) for s in tg.sent) == [("1", "b"), ("2", "a"), ("2", "b")]


async def test_overall_limit_paces_without_dropping(app, clock, tg, write_post):
    await add(app, clock, *[str(i) for i in range(1, 71)])
    await publish(app, write_post, "p")
    assert await app.drain() == 30
    assert await app.drain() == 0  # nothing more may go at this instant
    clock.advance(seconds=1.05)
    assert await app.drain() == 30
    clock.advance(seconds=1.05)
    assert await app.drain() == 10
    assert len(set(tg.chats())) == 70


async def test_one_chat_gets_one_message_a_second(app, clock, tg, write_post):
    await add(app, clock, "1", "2")
    await publish(app, write_post, "a", date="2026-11-22T10:00:00Z")
    await publish(app, write_post, "b", date="2026-11-22T11:00:00Z")
    assert await app.drain() == 2  # one per chat
    clock.advance(seconds=1.05)
    assert await app.drain() == 2
    by_chat = {}
    for s in tg.sent:
        by_chat.setdefault(s.chat_id, []).append(s.view.slug)
    assert by_chat == {"1": ["a", "b"], "2": ["a", "b"]}  # in order


async def test_retry_after_reschedules_only_that_chat(app, clock, tg, write_post):
    await add(app, clock, "1", "2")
    tg.fail("1", RetryAfter(7))
    await publish(app, write_post, "p")
    assert await app.drain() == 1
    assert tg.chats() == ["2"]
    row = next(r for r in await deliveries(app) if r.status == "pending")
    assert (row.next_attempt_at - clock.now()).total_seconds() == pytest.approx(7)
    clock.advance(seconds=6.9)
    assert await app.drain() == 0
    clock.advance(seconds=0.2)
    assert await app.drain() == 1
    assert tg.chats() == ["2", "1"]


async def test_transient_errors_back_off_then_fail_with_reason(app, clock, tg, write_post):
    await add(app, clock, "1")
    tg.fail("1", *[RetryLater("502 Bad Gateway")] * 20)
    await publish(app, write_post, "p")
    for _ in range(30):
        await app.drain()
        clock.advance(seconds=700)
    [row] = await deliveries(app)
    assert row.status == "failed" and row.last_error == "502 Bad Gateway" and row.attempts == 8
    assert tg.sent == []


async def test_transient_error_then_success(app, clock, tg, write_post):
    await add(app, clock, "1")
    tg.fail("1", RetryLater("timed out"), RetryLater("timed out"))
    await publish(app, write_post, "p")
    await app.drain()
    clock.advance(seconds=10)
    await app.drain()
    assert tg.sent == []  # second try still within backoff window or failed again
    clock.advance(seconds=60)
    await app.drain()
    assert tg.chats() == ["1"]
    [row] = await deliveries(app)
    assert row.status == "sent" and row.attempts == 3


async def test_gone_destination_is_disabled_and_gets_nothing_more(app, clock, tg, write_post):
    await add(app, clock, "1", "2")
    tg.fail("1", DestinationGone("Forbidden: bot was blocked by the user"))
    await publish(app, write_post, "a")
    await app.drain()
    gone = await destination(app, "1")
    assert not gone.active and gone.disabled_reason == "Forbidden: bot was blocked by the user"
    clock.advance(seconds=2)
    await publish(app, write_post, "b")
    await app.drain()
    assert tg.chats() == ["2", "2"]


async def test_moved_destination_follows_the_new_id(app, clock, tg, write_post):
    await add(app, clock, "-5")
    tg.fail("-5", DestinationMoved("-1005"))
    await publish(app, write_post, "p")
    await app.drain()
    clock.advance(seconds=2)
    await app.drain()
    assert tg.chats() == ["-1005"]
    assert (await destination(app, "-1005")).active


async def test_bad_message_is_recorded_not_retried(app, clock, tg, write_post):
    await add(app, clock, "1")
    tg.fail("1", BadMessage("can't parse entities"))
    await publish(app, write_post, "p")
    await app.drain()
    clock.advance(hours=1)
    await app.drain()
    [row] = await deliveries(app)
    assert row.status == "failed" and "parse entities" in row.last_error
    assert tg.attempts == 1


async def test_many_posts_at_once_collapse_into_one_page(app, clock, tg, write_post):
    await add(app, clock, "1")
    for i in range(8):
        write_post(f"p{i}.md", f"P{i}", date=f"2026-11-22T0{i}:00:00Z", slug=f"p{i}")
    await app.tick()
    assert await app.drain() == 1
    [sent] = tg.sent
    assert isinstance(sent.view, LatestPage)
    assert [i.slug for i in sent.view.items] == ["p7", "p6", "p5", "p4", "p3"] and sent.view.more == 3


async def test_edited_post_edits_the_sent_message(app, clock, tg, write_post):
    await add(app, clock, "1")
    await publish(app, write_post, "p", title="Old")
    await app.drain()
    clock.advance(seconds=5)
    await publish(app, write_post, "p", title="New")
    await app.drain()
    [(chat, ids, view)] = tg.edits
    assert chat == "1" and ids == [tg.sent[0].message_id] and view.title == "New"
    clock.advance(seconds=5)
    await app.tick()
    await app.drain()
    assert len(tg.edits) == 1  # no change, no edit


async def test_removed_post_deletes_messages_when_enabled(app, clock, tg, write_post, posts_dir):
    app.settings.delete_removed = True
    await add(app, clock, "1")
    await publish(app, write_post, "p")
    await app.drain()
    (posts_dir / "p.md").unlink()
    clock.advance(seconds=5)
    await app.tick()
    await app.drain()
    assert tg.deletes == [("1", [tg.sent[0].message_id])]


async def test_digest_destination_gets_one_page_on_schedule(app, clock, tg, write_post):
    clock.advance(hours=-1)
    await add(app, clock, "9", digest_cron="20:00", digest_tz="Asia/Shanghai")  # 12:00 UTC
    clock.advance(minutes=55)
    await publish(app, write_post, "a", date="2026-11-22T11:50:00Z")
    await app.drain()
    assert tg.sent == []  # digest subscribers get no instant messages
    clock.advance(minutes=10)
    await app.tick()
    await app.drain()
    [sent] = tg.sent
    assert isinstance(sent.view, LatestPage) and [i.slug for i in sent.view.items] == ["a"]
    clock.advance(days=1)
    await app.tick()
    await app.drain()
    assert len(tg.sent) == 1  # nothing new, nothing sent


async def test_crash_in_flight_rows_are_sent_again(app, clock, tg, write_post):
    from bot.broadcast.outbox import recover_in_flight

    await add(app, clock, "1")
    await publish(app, write_post, "p")
    async with app.sessions.begin() as session:
        for row in (await session.execute(select(Delivery))).scalars():
            row.status = "sending"
            row.next_attempt_at = clock.now().replace(year=2027)  # the lease of a send in flight
    assert await app.drain() == 0
    async with app.sessions.begin() as session:
        assert await recover_in_flight(session, clock.now()) == 1
    assert await app.drain() == 1


async def test_a_slow_chat_does_not_hold_up_the_others(app, clock, tg, write_post):
    release = asyncio.Event()
    others_done = asyncio.Event()
    original = tg.send

    async def send(target, view):
        if target.chat_id == "1":
            await release.wait()
        ids = await original(target, view)
        if sorted(tg.chats()) == ["2", "3"]:
            others_done.set()
        return ids

    tg.send = send
    await add(app, clock, "1", "2", "3")
    await publish(app, write_post, "p")
    dispatcher = app.dispatchers["telegram"]
    await dispatcher.step()
    await asyncio.wait_for(others_done.wait(), 10)  # chat 1 is still stuck in its send
    release.set()
    await dispatcher.settle()
    assert sorted(tg.chats()) == ["1", "2", "3"]


async def test_backfill_sends_the_newest_once(app, clock, tg, write_post):
    from bot.broadcast.outbox import backfill

    for i in range(3):
        write_post(f"old{i}.md", f"Old {i}", date=f"2026-01-0{i + 1}", slug=f"old{i}")
    await app.tick()
    await add(app, clock, "1")
    for _ in range(2):
        async with app.sessions.begin() as session:
            await backfill(session, clock.now(), 2)
    for _ in range(3):
        await app.drain()
        clock.advance(seconds=2)
    assert [s.view.slug for s in tg.sent] == ["old1", "old2"]


async def test_an_edit_goes_to_the_chat_the_message_is_in_after_a_migration(app, clock, tg, write_post):
    from bot.store.destinations import move_all

    await add(app, clock, "-5")
    await publish(app, write_post, "p", title="Old")
    await app.drain()
    [sent_row] = await deliveries(app)
    assert sent_row.sent_chat_id == "-5"
    async with app.sessions.begin() as session:
        await move_all(session, "telegram", "-5", "-1005")  # the group became a supergroup
    clock.advance(seconds=5)
    await publish(app, write_post, "p", title="New")
    await app.drain()
    [(chat, ids, view)] = tg.edits
    assert (chat, ids) == ("-5", [tg.sent[0].message_id])
    assert isinstance(view, Transmission) and view.title == "New" and view.edited


async def test_an_edit_left_in_a_migrated_chat_fails_once_with_a_reason(app, clock, tg, write_post):
    await add(app, clock, "-5")
    await publish(app, write_post, "p", title="Old")
    await app.drain()
    tg.fail("-5", DestinationMoved("-1005"))  # the old group: Telegram refuses the edit there
    clock.advance(seconds=5)
    await publish(app, write_post, "p", title="New")
    await app.drain()
    clock.advance(seconds=5)
    await app.drain()
    edit = next(r for r in await deliveries(app) if r.kind == "edit")
    assert edit.status == "failed" and "stays in chat -5, now -1005" in edit.last_error
    assert tg.attempts == 2 and tg.edits == []  # tried once, in the old chat, never looping
    assert (await destination(app, "-1005")).active  # later posts go to the supergroup


async def test_disabled_destinations_get_no_edits_and_their_queue_settles(app, clock, tg, write_post):
    from bot.store.destinations import deactivate, reactivate

    await add(app, clock, "1", "2")
    await publish(app, write_post, "p", title="Old")
    await app.drain()
    async with app.sessions.begin() as session:
        await deactivate(session, "telegram", "2", "bot was removed or blocked (kicked)")
    clock.advance(seconds=5)
    await publish(app, write_post, "p", title="New")
    edits = [r for r in await deliveries(app) if r.kind == "edit"]
    assert [(await destination(app, "1")).id] == [r.destination_id for r in edits]
    await app.drain()
    assert "pending" not in {r.status for r in await deliveries(app)}  # the queue drained
    assert [chat for chat, _, _ in tg.edits] == ["1"]
    async with app.sessions.begin() as session:
        await reactivate(session, "telegram", "2", keep_off="unsubscribed")
    clock.advance(seconds=5)
    await app.tick()
    await app.drain()
    assert sorted(chat for chat, _, _ in tg.edits) == ["1", "2"]  # back: it gets the edit then


async def test_disabling_a_destination_cancels_what_was_queued_for_it(app, clock, tg, write_post):
    from bot.services.reading import Chat

    await add(app, clock, "7", "8")
    tg.fail("8", RetryLater("502"))
    await publish(app, write_post, "p")
    await app.drain()
    reply = await app.commands.run("/unsubscribe", Chat("telegram", "8", is_admin=True, lang="en"))
    assert not reply.is_error
    rows = {r.destination_id: r for r in await deliveries(app)}
    cancelled = rows[(await destination(app, "8")).id]
    assert cancelled.status == "cancelled" and cancelled.last_error == "destination disabled: unsubscribed"
    assert rows[(await destination(app, "7")).id].status == "sent"


@pytest.mark.parametrize(("default", "chosen"), [("en", "zh"), ("zh", "en")])
async def test_a_destination_language_wins_for_posts_and_digests_whatever_the_default(
    app, clock, write_post, default, chosen
):
    platform = FakePlatform("telegram", clock)
    app.add_platform(platform, engine=EngineSettings(lang=default))
    await app.tick()  # the first scan of an empty folder
    clock.advance(hours=-1)
    await add(app, clock, "1", language=chosen)
    await add(app, clock, "2")  # no language chosen: the post's own, and the default for pages
    await add(app, clock, "9", digest_cron="20:00", digest_tz="Asia/Shanghai", language=chosen)  # 12:00 UTC
    clock.advance(minutes=55)
    await publish(app, write_post, "a", date="2026-11-22T11:50:00Z", lang=default)
    await app.drain()
    clock.advance(minutes=10)
    await app.tick()
    await app.drain()
    views = {s.chat_id: s.view for s in platform.sent}
    assert isinstance(views["1"], Transmission) and views["1"].lang == chosen
    assert isinstance(views["2"], Transmission) and views["2"].lang == default
    assert isinstance(views["9"], LatestPage) and views["9"].lang == chosen


async def test_an_edit_that_changes_the_messages_points_later_edits_at_the_new_ones(
    app, clock, tg, write_post
):
    """A whole post that grew by a part: the next edit must reach every part, the new one too."""
    await add(app, clock, "1")
    await publish(app, write_post, "p", title="One part")
    await app.drain()
    first = tg.sent[0].message_id
    tg.edit_ids.append([first, "extra"])
    clock.advance(seconds=5)
    await publish(app, write_post, "p", title="Two parts")
    await app.drain()
    clock.advance(seconds=5)
    await publish(app, write_post, "p", title="Changed again")
    await app.drain()
    assert [ids for _, ids, _ in tg.edits] == [[first], [first, "extra"]]
