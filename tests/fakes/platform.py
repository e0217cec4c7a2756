"""An in-process platform for engine tests: records what it was sent, fails as scripted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.broadcast.sender import SendError, Target
from bot.clock import Clock
from bot.content.models import View


@dataclass
class Sent:
    chat_id: str
    thread_id: str
    view: View
    at: float
    message_id: str


@dataclass
class FakePlatform:
    name: str
    clock: Clock
    sent: list[Sent] = field(default_factory=list)
    edits: list[tuple[str, list[str], View]] = field(default_factory=list)
    deletes: list[tuple[str, list[str]]] = field(default_factory=list)
    failures: dict[str, list[SendError]] = field(default_factory=lambda: defaultdict(list))
    attempts: int = 0
    edit_ids: list[list[str]] = field(default_factory=list)  # what the next edits answer (new message ids)

    def fail(self, chat_id: str, *errors: SendError) -> None:
        self.failures[chat_id].extend(errors)

    def _maybe_fail(self, chat_id: str) -> None:
        self.attempts += 1
        queue = self.failures.get(chat_id)
        if queue:
            raise queue.pop(0)

    async def send(self, target: Target, view: View) -> list[str]:
        self._maybe_fail(target.chat_id)
        message_id = str(len(self.sent) + 1)
        self.sent.append(
            Sent(target.chat_id, target.thread_id, view, self.clock.now().timestamp(), message_id)
        )
        return [message_id]

    async def edit(self, target: Target, message_ids: list[str], view: View) -> list[str] | None:
        self._maybe_fail(target.chat_id)
        self.edits.append((target.chat_id, message_ids, view))
        return self.edit_ids.pop(0) if self.edit_ids else None

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        self._maybe_fail(target.chat_id)
        self.deletes.append((target.chat_id, message_ids))

    def chats(self) -> list[str]:
        return [s.chat_id for s in self.sent]
