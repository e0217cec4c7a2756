"""Find post files under posts/: recursive, *.md, *.markdown and *.mdx, symlinks kept inside."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from bot.content.placement import POST_SUFFIXES
from bot.content.safe_text import safe_name

SUFFIXES = POST_SUFFIXES


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A post file on disk: its path relative to posts/ (forward slashes) and its stat."""

    path: str
    absolute: str
    size: int
    mtime_ns: int

    def __reduce__(self) -> tuple[type[FoundFile], tuple[str, str, int, int]]:
        return (FoundFile, (self.path, self.absolute, self.size, self.mtime_ns))  # see Post.__reduce__


@dataclass(frozen=True, slots=True)
class WalkResult:
    """Files found, and files refused before reading (with a one-line reason)."""

    files: list[FoundFile]
    refused: list[tuple[str, str]]


def walk_posts(root: Path) -> WalkResult:
    """List post files under `root`, refusing symlinks that lead outside it."""
    files: list[FoundFile] = []
    refused: list[tuple[str, str]] = []
    for item in iter_posts(root):
        if isinstance(item, FoundFile):
            files.append(item)
        else:
            refused.append(item)
    files.sort(key=lambda f: f.path)
    return WalkResult(files, sorted(refused))


def iter_posts(root: Path) -> Iterator[FoundFile | tuple[str, str]]:
    """Yield each post file, or (path, reason) for one refused.

    Folders are read first, then the files are stat'ed on a few threads: a stat waits on the
    disk far more than it computes, and an unchanged rescan is little else.
    """
    candidates: list[tuple[str, str]] = []
    for relative, path, refusal in _candidates(root):
        if refusal is None:
            candidates.append((relative, path))
        else:
            yield (relative, refusal)
    chunks = [candidates[i : i + STAT_CHUNK] for i in range(0, len(candidates), STAT_CHUNK)]
    results = _stat_pool().map(_stat_all, chunks) if len(chunks) > 1 else map(_stat_all, chunks)
    for chunk in results:
        yield from chunk


STAT_CHUNK = 512
STAT_THREADS = 8
_POOL: ThreadPoolExecutor | None = None


def _stat_pool() -> ThreadPoolExecutor:
    global _POOL  # one small pool for the process; threads are idle between scans
    if _POOL is None:
        _POOL = ThreadPoolExecutor(STAT_THREADS, thread_name_prefix="stat")
    return _POOL


def _stat_all(chunk: list[tuple[str, str]]) -> list[FoundFile | tuple[str, str]]:
    out: list[FoundFile | tuple[str, str]] = []
    for relative, path in chunk:
        try:
            stat = os.stat(path)
        except OSError as exc:
            out.append((relative, f"cannot stat: {exc.strerror}"))
            continue
        if S_ISREG(stat.st_mode):
            out.append(FoundFile(relative, path, stat.st_size, stat.st_mtime_ns))
    return out


def _candidates(root: Path) -> Iterator[tuple[str, str, str | None]]:
    """Yield (relative, path, None) for every post-named file, (relative, "", reason) if refused."""
    real_root = os.path.realpath(root)
    seen_dirs = {real_root}
    # (folder to read, its path relative to root, its real path: known without a syscall
    # unless a symlink led there)
    pending = [(str(root), "", real_root)]
    while pending:
        directory, prefix, real_directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            yield (prefix or ".", "", f"cannot read folder: {exc.strerror}")
            continue
        for entry in entries:
            name = entry.name
            # Hidden names are editor swap files and VCS folders, never posts.
            if name.startswith("."):
                continue
            relative = prefix + name
            is_post = name.lower().endswith(SUFFIXES)
            if not _utf8(name):
                # Names from zip files in a legacy code page: refuse them rather than guess.
                if is_post or entry.is_dir():
                    yield (shown_path(relative), "", "file name is not valid UTF-8; rename it")
                continue
            try:
                if entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    if not _inside(real, real_root):
                        if is_post or os.path.isdir(real):
                            yield (relative, "", "symlink leads outside the posts folder")
                        continue
                    if os.path.isdir(real):
                        if real not in seen_dirs:  # a symlink loop would walk forever
                            seen_dirs.add(real)
                            pending.append((entry.path, relative + "/", real))
                        continue
                elif entry.is_dir(follow_symlinks=False):
                    real = real_directory + os.sep + name
                    if real not in seen_dirs:  # a symlink may have led here already
                        seen_dirs.add(real)
                        pending.append((entry.path, relative + "/", real))
                    continue
            except OSError as exc:
                yield (relative, "", f"cannot stat: {exc.strerror}")
                continue
            if is_post:
                yield (relative, entry.path, None)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_path(path: str) -> str:
    """Return a path safe to print and store: undecodable bytes and controls as escapes."""
    raw = path.encode("utf-8", "surrogateescape")
    return safe_name(raw.decode("utf-8", "backslashreplace"))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
