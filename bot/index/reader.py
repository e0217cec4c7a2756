"""Read and parse post files; importable on its own, so parser processes start light."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.content.models import Post
from bot.content.post_file import NotAPostError, PostDefaults, PostError, content_hash, parse_post
from bot.index.walk import FoundFile

MAX_REASON = 300


@dataclass(slots=True)
class Read:
    """A file that had to be read: its hash, and its post, the reason it is broken, or why it is skipped."""

    found: FoundFile
    digest: str
    post: Post | None = None
    error: str | None = None
    skipped: str | None = None  # parsed fine, but not a post (a page, an index, excluded)

    def __reduce__(self) -> tuple[type[Read], tuple[object, ...]]:
        return (Read, (self.found, self.digest, self.post, self.error, self.skipped))  # see Post.__reduce__


def read_post(found: FoundFile, known_hash: str | None, defaults: PostDefaults) -> Read:
    """Read one file; parse it unless its bytes hash to `known_hash` (touched, not changed)."""
    try:
        with open(found.absolute, "rb") as handle:
            raw = handle.read(defaults.max_bytes + 1)
    except OSError as exc:
        return Read(found, "", error=f"cannot read: {exc.strerror}")
    digest = content_hash(raw)
    if known_hash is not None and known_hash == digest:
        return Read(found, digest)
    modified = datetime.fromtimestamp(found.mtime_ns / 1e9, UTC)
    try:
        return Read(found, digest, post=parse_post(raw, found.path, defaults, modified))
    except PostError as exc:
        return Read(found, digest, error=_one_line(str(exc)))
    except NotAPostError as exc:
        return Read(found, digest, skipped=_one_line(str(exc)))


def read_guarded(found: FoundFile, known_hash: str | None, defaults: PostDefaults, memory_mb: int) -> Read:
    """Like `read_post`, but any failure at all becomes a refused file with a one-line reason."""
    try:
        return read_post(found, known_hash, defaults)
    except MemoryError:
        return Read(found, "", error=f"needed more than {memory_mb} MB to parse")
    except RecursionError:
        return Read(found, "", error="nested too deeply to parse")
    except Exception as exc:  # one bad file must never stop a scan
        return Read(found, "", error=_one_line(f"cannot parse: {type(exc).__name__}: {exc}"))


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"
