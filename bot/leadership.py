"""Leader election: only one replica scans, schedules and sends; the others wait to take over.

PostgreSQL: a session-level `pg_try_advisory_lock` held on a dedicated connection for the
leader's lifetime; the server drops it when that connection dies, even on SIGKILL. SQLite: an
exclusive `flock` on a file beside the database (replicas share it only on one machine anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
# "ITRANSMT" as a number: a fixed key, so every replica of this bot contends for the same lock.
LOCK_KEY = 0x4954_5241_4E53_4D54 & 0x7FFF_FFFF_FFFF_FFFF
POLL_SECONDS = 1.0


class Leader(Protocol):
    """Something that can try to become leader, tell whether it still is, and step down."""

    async def try_acquire(self) -> bool:
        """Become leader if nobody is; return whether we are now."""
        ...

    async def still_leader(self) -> bool:
        """Check that the lock is still held (its connection may have died)."""
        ...

    async def release(self) -> None:
        """Step down."""
        ...


class PostgresLeader:
    """Hold `pg_try_advisory_lock(LOCK_KEY)` on a connection of its own."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._connection: asyncpg.Connection | None = None

    async def try_acquire(self) -> bool:
        """Take the advisory lock if it is free."""
        connection = await asyncpg.connect(self._dsn)
        try:
            if await connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                self._connection, connection = connection, None
                return True
            return False
        finally:
            if connection is not None:
                await connection.close()

    async def still_leader(self) -> bool:
        """Ask over the lock's own connection; a broken connection means the lock is gone."""
        if self._connection is None:
            return False
        try:
            await asyncio.wait_for(self._connection.fetchval("SELECT 1"), 5)
        except Exception:  # any failure on this connection (asyncpg has several families) means no lock
            self._connection.terminate()
            self._connection = None
            return False
        return True

    async def release(self) -> None:
        """Close the connection, which releases the lock."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await asyncio.wait_for(connection.close(), 5)
            except Exception:
                connection.terminate()


class FileLeader:
    """Hold an exclusive `flock` on `<database>.leader`."""

    def __init__(self, lock_path: Path) -> None:
        self._path = lock_path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        """Take the file lock if it is free."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_leader(self) -> bool:
        """Report the file lock, which lasts as long as the process."""
        return self._fd is not None

    async def release(self) -> None:
        """Unlock and close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def leader_for(database_url: str) -> Leader:
    """Choose the election mechanism for the configured database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:":
            return FileLeader(Path(f"/tmp/incoming-transmission-{os.getuid()}.leader"))
        return FileLeader(Path(database + ".leader"))
    return PostgresLeader(database_url)


async def wait_for_leadership(leader: Leader, stop: asyncio.Event, poll: float = POLL_SECONDS) -> bool:
    """Try until we lead or `stop` is set; return whether we lead."""
    announced = False
    while not stop.is_set():
        try:
            if await leader.try_acquire():
                return True
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("leader election failed, retrying: %s", exc)
        if not announced:
            log.warning("standby: another instance is the leader; waiting to take over")
            announced = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll)
    return False
