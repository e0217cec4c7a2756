"""Parse post files in worker processes, each file under a time limit and a memory bound.

A hostile file (a regex or Markdown blow-up, a YAML bomb, deep nesting) must cost only itself:
the worker parsing it is killed after `timeout` seconds and the file is refused with that reason,
while the event loop never waits on a parse. Workers come from a fork server that has the parser
imported, so a replacement starts in milliseconds; they die with the bot, even on `kill -9`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bot.content.post_file import PostDefaults
from bot.index.reader import Read, read_guarded
from bot.index.walk import FoundFile

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
Work = tuple[FoundFile, str | None]
BATCH = 64
FLUSH_EVERY = 16
FLUSH_SECONDS = 0.05
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """How parsing is bounded: workers, seconds per file, memory per worker."""

    workers: int = 2
    timeout: float = 10.0
    memory_mb: int = 1024


Reader = Callable[[FoundFile, str | None, PostDefaults, int], Read]


def _serve(connection: Connection, memory_mb: int, reader: Reader) -> None:
    """Worker loop: parse batches, answering with a few `Read`s at a time, in order.

    Answers go out every FLUSH_EVERY files or FLUSH_SECONDS, whichever comes first, so the bot
    sees steady progress (its per-file deadline) without a message per file.
    """
    _die_with_parent()
    _limit_memory(memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bot handles ^C; the worker is stopped by it
    while True:
        try:
            batch, defaults = connection.recv()
        except (EOFError, OSError):
            return
        done: list[Read] = []
        last = time.monotonic()
        for found, known in batch:
            done.append(reader(found, known, defaults, memory_mb))
            if len(done) >= FLUSH_EVERY or time.monotonic() - last >= FLUSH_SECONDS:
                connection.send(done)
                done, last = [], time.monotonic()
        if done:
            connection.send(done)


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGKILL to this worker when its parent (the fork server) dies,
    # and the fork server exits when the bot does, so no parser outlives a `kill -9` of the bot.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _limit_memory(memory_mb: int) -> None:
    with contextlib.suppress(Exception):
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Worker:
    """One parser process and the pipe to it."""

    def __init__(self, context: Any, memory_mb: int, reader: Reader) -> None:
        ours, theirs = context.Pipe()
        self.connection: Connection = ours
        self.process = context.Process(target=_serve, args=(theirs, memory_mb, reader), daemon=True)
        self.process.start()
        theirs.close()

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()

    async def receive(self, seconds: float) -> list[Read]:
        """Wait for results without blocking the event loop; TimeoutError when none comes in time.

        Returns every result already waiting, so one wake-up can take a dozen files.
        """
        if not self.connection.poll():
            loop = asyncio.get_running_loop()
            ready = loop.create_future()
            descriptor = self.connection.fileno()
            loop.add_reader(descriptor, _settle, ready)
            try:
                await asyncio.wait_for(ready, seconds)
            finally:
                loop.remove_reader(descriptor)
        results: list[Read] = []
        while True:
            try:
                results += self.connection.recv()
            except (EOFError, OSError):
                if results:
                    return results  # the worker died after these: the next call says so
                raise
            if not self.connection.poll():
                return results


class ParserPool:
    """A few long-lived parser processes shared by every scan of one indexer."""

    def __init__(self, limits: PoolLimits | None = None, reader: Reader = read_guarded) -> None:
        """`reader` must be importable by name (it is sent to the workers)."""
        self.limits = limits or PoolLimits()
        self._reader = reader
        self._workers: list[_Worker] = []
        self._context: Any = None
        self.killed = 0  # workers killed over a slow or crashing file, for tests and metrics

    def _new_worker(self) -> _Worker:
        if self._context is None:
            self._context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that already imported the parser: milliseconds, not 0.3 s.
            self._context.set_forkserver_preload(["bot.index.reader"])
        try:
            return _Worker(self._context, self.limits.memory_mb, self._reader)
        except OSError as exc:
            if self._context.get_start_method() != "forkserver":
                raise
            # The fork server needs a writable temporary folder for its socket; a read-only
            # container may have none. Spawned workers need no file: slower to start, as safe.
            log.warning("parser fork server unavailable (%s); starting parser processes directly", exc)
            self._context = multiprocessing.get_context("spawn")
            return _Worker(self._context, self.limits.memory_mb, self._reader)

    async def read_all(
        self, work: Sequence[Work], defaults: PostDefaults, progress: Progress | None
    ) -> list[Read]:
        """Parse every file; results come back in the order of `work`."""
        results: list[Read | None] = [None] * len(work)
        queue: list[list[int]] = [
            list(range(start, min(start + BATCH, len(work)))) for start in range(0, len(work), BATCH)
        ]
        wanted = max(1, min(self.limits.workers, len(queue)))
        done = 0

        def finished(index: int, read: Read) -> None:
            nonlocal done
            results[index] = read
            done += 1
            if progress is not None:
                progress(done, len(work))

        async def run(slot: int) -> None:
            while queue:
                batch = queue.pop(0)
                queue[0:0] = await self._run_batch(slot, batch, work, defaults, finished)

        while len(self._workers) < wanted:
            self._workers.append(await asyncio.to_thread(self._new_worker))
        await asyncio.gather(*(run(slot) for slot in range(wanted)))
        assert all(r is not None for r in results)
        return [r for r in results if r is not None]

    async def _run_batch(
        self,
        slot: int,
        batch: list[int],
        work: Sequence[Work],
        defaults: PostDefaults,
        finished: Callable[[int, Read], None],
    ) -> list[list[int]]:
        """Send a batch to one worker and collect its answers; return batches still to parse.

        When the worker hangs or dies, the files it had not answered for go back one per batch:
        alone, the file to blame takes the time limit (or the crash) by itself and is refused.
        """
        worker = self._workers[slot]
        try:
            worker.connection.send(([work[i] for i in batch], defaults))
        except (BrokenPipeError, OSError):
            self._replace(slot)
            return [batch]
        position = 0
        while position < len(batch):
            try:
                reads = await worker.receive(self.limits.timeout)
            except (TimeoutError, EOFError, OSError) as exc:
                if isinstance(exc, TimeoutError):
                    reason = f"took longer than {self.limits.timeout:g} s to parse (stopped)"
                else:
                    await asyncio.to_thread(worker.process.join, 5)  # it closed its pipe: it is exiting
                    reason = f"the parser process died on this file (exit code {worker.process.exitcode})"
                self._replace(slot)
                rest = batch[position:]
                if len(rest) > 1:
                    return [[index] for index in rest]
                found = work[rest[0]][0]
                log.warning("parser stopped on %s: %s", found.path, reason)
                finished(rest[0], Read(found, "", error=reason))
                return []
            for read in reads:
                finished(batch[position], read)
                position += 1
        return []

    def _replace(self, slot: int) -> None:
        self._workers[slot].kill()
        self.killed += 1
        self._workers[slot] = self._new_worker()

    @property
    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def close(self) -> None:
        """Stop every worker (idempotent)."""
        for worker in self._workers:
            worker.kill()
        self._workers = []


def default_workers() -> int:
    """One worker per usable core, at most four: parsing is CPU-bound."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, 4))
