"""Which command definitions a platform last uploaded, so a restart does not upload them again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.commands_sync import remember_sync, synced_hash


def definitions_hash(definitions: Any) -> str:
    """Hash JSON-able command definitions; key order and whitespace do not change the hash."""
    canonical = json.dumps(definitions, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class CommandSync:
    """The sync record of each platform's command scope (e.g. discord, guild:123)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def is_current(self, platform: str, scope: str, digest: str) -> bool:
        """Whether the definitions hashing to `digest` are the ones last synced to `scope`."""
        async with self._sessions() as session:
            return await synced_hash(session, platform, scope) == digest

    async def remember(self, platform: str, scope: str, digest: str) -> None:
        """Record that the definitions hashing to `digest` are now live in `scope`."""
        async with self._sessions.begin() as session:
            await remember_sync(session, platform, scope, digest)
