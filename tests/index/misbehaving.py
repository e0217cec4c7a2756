"""Readers that misbehave on purpose, run inside the parser processes by the pool tests."""

from __future__ import annotations

import os
import time

from bot.content.post_file import PostDefaults
from bot.index.reader import Read, read_guarded
from bot.index.walk import FoundFile


def read_badly(found: FoundFile, known: str | None, defaults: PostDefaults, memory_mb: int) -> Read:
    """Hang on `slow*`, exhaust memory on `greedy*`, die on `crash*`; read everything else normally."""
    name = found.path.rsplit("/", 1)[-1]
    if name.startswith("slow"):
        while True:  # a parse that never ends: only killing the process stops it
            time.sleep(0.05)
    if name.startswith("greedy"):
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    if name.startswith("crash"):
        os._exit(3)
    return read_guarded(found, known, defaults, memory_mb)


def read_greedily(found: FoundFile, known: str | None, defaults: PostDefaults, memory_mb: int) -> Read:
    """Allocate far past the memory bound inside the guard, as a YAML or Markdown blow-up would."""

    def parse() -> Read:
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))

    try:
        return parse()
    except MemoryError:
        return Read(found, "", error=f"needed more than {memory_mb} MB to parse")
