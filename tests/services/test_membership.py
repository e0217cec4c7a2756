"""Membership changes and migrations decide what happens to a chat's destinations."""

from sqlalchemy import select

from bot.services.subscriptions import UNSUBSCRIBED
from bot.store import destinations
from bot.store.destinations import Subscription
from bot.store.models import Destination


async def add(app, chat_id, thread_id=""):
    async with app.sessions.begin() as session:
        await destinations.subscribe(session, Subscription("telegram", chat_id, thread_id), app.clock.now())


async def rows(app):
    async with app.sessions() as session:
        found = (await session.execute(select(Destination).order_by(Destination.id))).scalars().all()
        return [(d.chat_id, d.thread_id, d.active, d.disabled_reason) for d in found]


async def test_a_lost_chat_is_disabled_and_comes_back_unless_it_unsubscribed(app):
    await add(app, "-1")
    await add(app, "-2")
    membership = app.services.membership
    assert await membership.lost("telegram", "-1", "bot removed") == 1
    assert await membership.lost("telegram", "-2", UNSUBSCRIBED) == 1
    assert await rows(app) == [("-1", "", False, "bot removed"), ("-2", "", False, UNSUBSCRIBED)]
    assert await membership.regained("telegram", "-1") == 1
    assert await membership.regained("telegram", "-2") == 0
    assert await rows(app) == [("-1", "", True, None), ("-2", "", False, UNSUBSCRIBED)]


async def test_a_migrated_chat_takes_its_topics_along(app):
    await add(app, "-5")
    await add(app, "-5", "7")
    assert await app.services.membership.migrated("telegram", "-5", "-1005") == 2
    assert [(chat, thread) for chat, thread, _, _ in await rows(app)] == [("-1005", ""), ("-1005", "7")]


async def test_other_platforms_are_left_alone(app):
    await add(app, "-1")
    assert await app.services.membership.lost("discord", "-1", "gone") == 0
    assert (await rows(app))[0][2] is True
