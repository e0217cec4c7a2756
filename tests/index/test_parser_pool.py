"""The parser processes: a file that hangs, hoards memory or kills its parser costs only itself."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC
from pathlib import Path

import pytest

from bot.content.post_file import PostDefaults
from bot.index.parser_pool import ParserPool, PoolLimits
from bot.index.walk import walk_posts
from tests.conftest import post_text
from tests.index.misbehaving import read_badly, read_greedily

DEFAULTS = PostDefaults(timezone=UTC)


def _files(folder: Path, names: list[str]):
    for name in names:
        (folder / name).write_text(post_text(name.removesuffix(".md"), body="Body."), encoding="utf-8")
    return [(found, None) for found in walk_posts(folder).files]


async def test_a_hanging_file_is_stopped_and_the_rest_still_parse(tmp_path):
    work = _files(tmp_path, ["a.md", "slow.md", "b.md", "crash.md", "c.md"])
    pool = ParserPool(PoolLimits(workers=1, timeout=0.5), reader=read_badly)
    try:
        reads = await pool.read_all(work, DEFAULTS, None)
    finally:
        pool.close()
    by_name = {r.found.path: r for r in reads}
    assert [r.found.path for r in reads] == ["a.md", "b.md", "c.md", "crash.md", "slow.md"]
    assert by_name["slow.md"].error == "took longer than 0.5 s to parse (stopped)"
    assert by_name["crash.md"].error == "the parser process died on this file (exit code 3)"
    assert all(by_name[n].post is not None for n in ("a.md", "b.md", "c.md"))
    assert pool.killed == 3  # the batch worker, then each culprit again on its own


@pytest.mark.slow
async def test_memory_is_bounded_per_worker(tmp_path):
    work = _files(tmp_path, ["greedy.md", "fine.md"])
    pool = ParserPool(PoolLimits(workers=1, timeout=20, memory_mb=512), reader=read_greedily)
    try:
        reads = await pool.read_all(work, DEFAULTS, None)
    finally:
        pool.close()
    assert {r.error for r in reads} == {"needed more than 512 MB to parse"}


async def test_workers_are_reused_across_scans_and_stopped_by_close(tmp_path):
    work = _files(tmp_path, ["a.md"])
    pool = ParserPool(PoolLimits(workers=2, timeout=10))
    await pool.read_all(work, DEFAULTS, None)
    first = pool.pids
    await pool.read_all(work, DEFAULTS, None)
    assert pool.pids == first and len(first) == 1  # one batch needs one worker
    pool.close()
    assert pool.pids == []
    for pid in first:
        assert not _alive(pid)


@pytest.mark.process
def test_kill_9_of_the_bot_leaves_no_parser_process(tmp_path):
    (tmp_path / "a.md").write_text(post_text("A"), encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from datetime import UTC
        from pathlib import Path
        from bot.content.post_file import PostDefaults
        from bot.index.parser_pool import ParserPool, PoolLimits
        from bot.index.walk import walk_posts

        async def main():
            pool = ParserPool(PoolLimits(workers=1))
            work = [(f, None) for f in walk_posts(Path({str(tmp_path)!r})).files]
            await pool.read_all(work, PostDefaults(timezone=UTC), None)
            print(*pool.pids, flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    bot = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path.cwd())
    try:
        assert bot.stdout is not None
        workers = [int(pid) for pid in bot.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
        os.kill(bot.pid, signal.SIGKILL)
        bot.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
    finally:
        if bot.poll() is None:
            bot.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
