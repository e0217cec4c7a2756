import asyncpg
import pytest

from bot.leadership import FileLeader, PostgresLeader, leader_for, wait_for_leadership
from tests.conftest import fresh_postgres_database


async def test_file_lock_admits_one_leader(tmp_path):
    first, second = FileLeader(tmp_path / "bot.db.leader"), FileLeader(tmp_path / "bot.db.leader")
    assert await first.try_acquire()
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire() and await second.still_leader()
    await second.release()


@pytest.mark.postgres
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


async def test_standby_names_the_file_lock_holder(tmp_path, caplog):
    import asyncio
    import logging
    import os
    import socket

    caplog.set_level(logging.INFO, "bot.leadership")
    holder = FileLeader(tmp_path / "bot.db.leader")
    assert await holder.try_acquire()
    me = f"pid {os.getpid()} on {socket.gethostname()}"
    assert await FileLeader(tmp_path / "bot.db.leader").holder() == me
    stop = asyncio.Event()
    waiting = asyncio.create_task(wait_for_leadership(FileLeader(tmp_path / "bot.db.leader"), stop, 0.01))
    async with asyncio.timeout(5):
        while "standby" not in caplog.text:
            await asyncio.sleep(0.01)
    await holder.release()
    assert await asyncio.wait_for(waiting, 5) is True
    standby = [r.getMessage() for r in caplog.records if "standby" in r.getMessage()]
    assert standby == [f"standby: {me} is the leader; waiting to take over"]  # said once, naming it


async def test_a_lock_file_that_cannot_be_opened_is_an_error_not_a_standby(tmp_path, caplog):
    import asyncio

    import pytest

    from bot.leadership import LeadershipError

    missing = FileLeader(tmp_path / "no-such-folder" / "bot.db.leader")
    with pytest.raises(LeadershipError, match="no-such-folder"):
        await wait_for_leadership(missing, asyncio.Event(), 0.01)
    assert "standby" not in caplog.text
    assert not (tmp_path / "no-such-folder").exists()  # not created behind the operator's back


@pytest.mark.postgres
async def test_standby_names_the_postgres_lock_holder(postgres_server):
    import os
    import socket

    url = await fresh_postgres_database(postgres_server)
    first, second = PostgresLeader(url), PostgresLeader(url)
    assert await first.try_acquire()
    try:
        assert not await second.try_acquire()
        described = await second.holder()
        assert described is not None
        assert described.startswith(f"pid {os.getpid()} on {socket.gethostname()}"[:40])
        assert "database session" in described
    finally:
        await first.release()
    assert await second.holder() is None


async def test_an_unreachable_database_is_no_standby(caplog):
    import asyncio
    import logging
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop = asyncio.Event()

    class Counting(PostgresLeader):
        tries = 0

        async def try_acquire(self):
            Counting.tries += 1
            if Counting.tries == 3:
                stop.set()
            return await super().try_acquire()

    caplog.set_level(logging.INFO, "bot.leadership")
    leader = Counting(f"postgresql://bot@127.0.0.1:{port}/bot")
    assert await wait_for_leadership(leader, stop, 0.01) is False
    messages = [r.getMessage() for r in caplog.records]
    assert Counting.tries == 3 and not [m for m in messages if "standby" in m]
    assert len([m for m in messages if "cannot reach the database" in m]) == 1
