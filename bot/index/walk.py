"""Find post files under posts/: recursive, *.md, *.markdown and *.mdx, symlinks kept inside."""

from __future__ import annotations

import os
from collections.abc import Iterator
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
    """Yield each post file, or (path, reason) for one refused; nothing is held in memory."""
    for relative, entry, refusal in _candidates(root):
        if entry is None:
            yield (relative, refusal)
            continue
        try:
            stat = entry.stat()
        except OSError as exc:
            yield (relative, f"cannot stat: {exc.strerror}")
            continue
        if S_ISREG(stat.st_mode):
            yield FoundFile(relative, entry.path, stat.st_size, stat.st_mtime_ns)


def _candidates(root: Path) -> Iterator[tuple[str, os.DirEntry[str] | None, str]]:
    """Yield (relative, entry, "") for every post-named file, (relative, None, reason) if refused."""
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
            yield (prefix or ".", None, f"cannot read folder: {exc.strerror}")
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
                    yield (shown_path(relative), None, "file name is not valid UTF-8; rename it")
                continue
            try:
                if entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    if not _inside(real, real_root):
                        if is_post or os.path.isdir(real):
                            yield (relative, None, "symlink leads outside the posts folder")
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
                yield (relative, None, f"cannot stat: {exc.strerror}")
                continue
            if is_post:
                yield (relative, entry, "")


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
