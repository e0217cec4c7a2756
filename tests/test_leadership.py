import asyncpg

from bot.leadership import FileLeader, PostgresLeader, leader_for, wait_for_leadership
from tests.conftest import fresh_postgres_database


async def test_file_lock_admits_one_leader(tmp_path):
    first, second = FileLeader(tmp_path / "bot.db.leader"), FileLeader(tmp_path / "bot.db.leader")
    assert await first.try_acquire()
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire() and await second.still_leader()
    await second.release()


async def test_postgres_advisory_lock_admits_one_leader_and_frees_on_disconnect(postgres_server):
    url = await fresh_postgres_database(postgres_server)
    first, second = PostgresLeader(url), PostgresLeader(url)
    assert await first.try_acquire() and await first.still_leader()
    assert not await second.try_acquire()
    # Kill the leader's connection from outside, as a crash would: the lock must go with it.
    admin = await asyncpg.connect(f"{postgres_server}/postgres")
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    )
    await admin.close()
    assert not await first.still_leader()
    assert await second.try_acquire()
    await second.release()
    await first.release()


async def test_standby_waits_until_stopped(tmp_path):
    import asyncio

    holder = leader_for(f"sqlite:///{tmp_path / 'x.db'}")
    assert await holder.try_acquire()
    stop = asyncio.Event()
    waiting = asyncio.create_task(
        wait_for_leadership(leader_for(f"sqlite:///{tmp_path / 'x.db'}"), stop, 0.01)
    )
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await holder.release()
    assert await asyncio.wait_for(waiting, 5) is True
