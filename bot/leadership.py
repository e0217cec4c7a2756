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
import socket
from pathlib import Path
from typing import Protocol

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
# "ITRANSMT" as a number: a fixed key, so every replica of this bot contends for the same lock.
LOCK_KEY = 0x4954_5241_4E53_4D54 & 0x7FFF_FFFF_FFFF_FFFF
POLL_SECONDS = 1.0


class LeadershipError(RuntimeError):
    """The lock cannot be taken at all (not "someone else holds it"): waiting would not help."""


def whoami() -> str:
    """Describe this process for the one that waits on it: pid and host."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


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

    async def holder(self) -> str | None:
        """Describe the process that holds the lock now, if it can be found out."""
        ...


class PostgresLeader:
    """Hold `pg_try_advisory_lock(LOCK_KEY)` on a connection of its own."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._connection: asyncpg.Connection | None = None

    async def try_acquire(self) -> bool:
        """Take the advisory lock if it is free."""
        # The application name tells a standby (and pg_stat_activity's readers) who leads.
        name = f"incoming-transmission {whoami()}"[:63]
        connection = await asyncpg.connect(self._dsn, server_settings={"application_name": name})
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

    async def holder(self) -> str | None:
        """Find the session holding the advisory lock in pg_locks, and who it is in pg_stat_activity."""
        connection = await asyncpg.connect(self._dsn)
        try:
            # A bigint key is stored as classid (high 32 bits), objid (low 32 bits), objsubid 1.
            found = await connection.fetchrow(
                "SELECT l.pid, a.application_name, host(a.client_addr) AS address"
                " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                " AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.database = ("
                " SELECT oid FROM pg_database WHERE datname = current_database())",
                LOCK_KEY >> 32,
                LOCK_KEY & 0xFFFF_FFFF,
            )
        finally:
            await connection.close()
        if found is None:
            return None
        name = str(found["application_name"] or "").removeprefix("incoming-transmission ")
        where = f" from {found['address']}" if found["address"] else ""
        return f"{name or 'a process'} (database session {found['pid']}{where})"


class FileLeader:
    """Hold an exclusive `flock` on `<database>.leader`."""

    def __init__(self, lock_path: Path) -> None:
        self._path = lock_path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        """Take the file lock if it is free."""
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # no folder, no permission, a read-only disk: waiting will not help
            raise LeadershipError(f"cannot open the leader lock file {self._path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        # Say who leads, for a standby to report (the lock, not the text, is what counts).
        os.ftruncate(fd, 0)
        os.pwrite(fd, whoami().encode(), 0)
        return True

    async def still_leader(self) -> bool:
        """Report the file lock, which lasts as long as the process."""
        return self._fd is not None

    async def release(self) -> None:
        """Unlock and close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    async def holder(self) -> str | None:
        """Read who holds the lock from the file (the holder wrote its pid and host there)."""
        try:
            text = self._path.read_text(encoding="utf-8", errors="replace")[:200]
        except OSError:
            return None
        return " ".join(text.split()) or None


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
    """Try until we lead or `stop` is set; return whether we lead.

    "standby" is said only when another process really holds the lock, and which one. A lock file
    that cannot be opened raises `LeadershipError` (waiting would not help); a database that does
    not answer is retried, and said once until the reason changes.
    """
    said: str | None = None
    while not stop.is_set():
        try:
            if await leader.try_acquire():
                if said is not None:
                    log.info("now the leader")
                return True
            holder = await _holder(leader)
            message = f"standby: {holder or 'another instance'} is the leader; waiting to take over"
        except (OSError, asyncpg.PostgresError) as exc:
            message = f"cannot reach the database for the leader lock, retrying: {_reason(exc)}"
        if message != said:
            log.warning("%s", message)
            said = message
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll)
    return False


async def _holder(leader: Leader) -> str | None:
    try:
        return await asyncio.wait_for(leader.holder(), 5)
    except Exception:  # knowing who leads is a courtesy: never a reason to fail
        return None


def _reason(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
