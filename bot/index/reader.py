"""Read and parse post files; importable on its own, so parser processes start light."""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.models import Post
from bot.content.post_file import PostDefaults, PostError, content_hash, parse_post
from bot.index.walk import FoundFile


@dataclass(slots=True)
class Read:
    """A file that had to be read: its hash, and its post or the reason it is broken."""

    found: FoundFile
    digest: str
    post: Post | None = None
    error: str | None = None


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
    try:
        return Read(found, digest, post=parse_post(raw, found.path, defaults))
    except PostError as exc:
        return Read(found, digest, error=str(exc))


def read_many(batch: list[tuple[FoundFile, str | None]], defaults: PostDefaults) -> list[Read]:
    """Read a batch of files (the unit of work handed to a parser process)."""
    return [read_post(found, known, defaults) for found, known in batch]
