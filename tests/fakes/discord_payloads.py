"""Objects the fake Discord API answers with, and Discord's limits on message bodies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

TEXT, DM, VOICE, NEWS, PUBLIC_THREAD, PRIVATE_THREAD, FORUM, MEDIA = 0, 1, 2, 5, 11, 12, 15, 16
THREADS = frozenset({10, PUBLIC_THREAD, PRIVATE_THREAD})
FORUMS = frozenset({FORUM, MEDIA})
TAKES_MESSAGES = frozenset({TEXT, DM, NEWS, *THREADS})
# Message flags a bot may set: SUPPRESS_EMBEDS, EPHEMERAL (interactions only), SUPPRESS_NOTIFICATIONS.
SETTABLE_FLAGS = 4 | 64 | 4096
HAS_THREAD, EPHEMERAL = 32, 64  # flags Discord sets on a message: a thread was started from it; ephemeral
EPOCH = "2026-11-22T12:00:00+00:00"
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
_URL = re.compile(r"^(https?|attachment)://\S+$")


class ApiError(Exception):
    """An error answer: HTTP ``status`` with Discord's ``{"message", "code"}`` body."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> JSON:
        """Return the JSON body Discord sends with this error."""
        public = {k: v for k, v in self.extra.items() if not k.startswith("_")}  # "_via": fake-only knobs
        return {"message": self.message, "code": self.code} | public


def form_error(path: str, code: str, message: str) -> ApiError:
    """400 Invalid Form Body, with the error nested under ``path`` (dotted) as Discord nests it."""
    errors: JSON = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        errors = {part: errors}
    return ApiError(400, 50035, "Invalid Form Body", errors=errors)


@dataclass
class FakeChannel:
    """A channel, thread or forum as the fake knows it."""

    id: int
    type: int = TEXT
    guild_id: int | None = None
    name: str = "general"
    parent_id: int | None = None
    require_tag: bool = False
    tags: list[JSON] = field(default_factory=list)
    applied_tags: list[str] = field(default_factory=list)


@dataclass
class FakeMessage:
    """A message as it now stands: what was sent, or last edited."""

    id: int
    channel_id: int
    body: JSON
    edited: bool = False

    @property
    def embeds(self) -> list[JSON]:
        """The embeds users see."""
        return list(self.body.get("embeds") or [])

    @property
    def menu(self) -> JSON | None:
        """The first select menu, if the message has one."""
        rows = self.body.get("components") or []
        return next((c for row in rows for c in row.get("components", []) if c.get("type") == 3), None)

    @property
    def content(self) -> str:
        """The message's text."""
        return str(self.body.get("content") or "")

    @property
    def custom_ids(self) -> list[str]:
        """Every button's custom_id, row by row."""
        rows = self.body.get("components") or []
        return [c["custom_id"] for row in rows for c in row.get("components", []) if "custom_id" in c]


def user_object(user_id: int, name: str, bot: bool = False) -> JSON:
    """A user as Discord shows it."""
    return {
        "id": str(user_id), "username": name, "global_name": name, "discriminator": "0", "avatar": None,
        "bot": bot, "public_flags": 0,
    }  # fmt: skip


def member_object(user: JSON, permissions: int) -> JSON:
    """A guild member as interactions carry it, with their resolved permissions in the channel."""
    return {
        "user": user, "roles": [], "joined_at": EPOCH, "deaf": False, "mute": False, "flags": 0,
        "pending": False, "permissions": str(permissions), "nick": None, "avatar": None,
    }  # fmt: skip


def channel_object(channel: FakeChannel, owner_id: int = 0) -> JSON:
    """A channel object in the shape its type has on Discord."""
    out: JSON = {"id": str(channel.id), "type": channel.type, "name": channel.name, "flags": 0}
    if channel.type == DM:
        return out | {"recipients": [], "last_message_id": None}
    out |= {"guild_id": str(channel.guild_id), "position": 0, "permission_overwrites": [], "nsfw": False}
    out |= {"parent_id": str(channel.parent_id) if channel.parent_id else None, "rate_limit_per_user": 0}
    if channel.type in THREADS:
        metadata = {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": EPOCH}
        return out | {
            "owner_id": str(owner_id), "message_count": 0, "member_count": 1, "total_message_sent": 0,
            "thread_metadata": metadata | {"locked": False}, "applied_tags": channel.applied_tags,
        }  # fmt: skip
    if channel.type in (VOICE, 13):
        return out | {"bitrate": 64000, "user_limit": 0, "rtc_region": None, "last_message_id": None}
    if channel.type in FORUMS:
        out |= {"available_tags": channel.tags, "default_auto_archive_duration": 1440, "topic": None}
        out |= {"flags": 16 if channel.require_tag else 0, "default_reaction_emoji": None}
    return out | {"topic": None, "last_message_id": None}


def message_object(message: FakeMessage, author: JSON, token_message: bool = False) -> JSON:
    """A message object as Discord returns it after a create or an edit."""
    body = message.body
    return {
        "id": str(message.id), "channel_id": str(message.channel_id), "type": 0 if not token_message else 20,
        "content": body.get("content") or "", "author": author, "timestamp": EPOCH,
        "edited_timestamp": EPOCH if message.edited else None, "tts": False, "mention_everyone": False,
        "mentions": [], "mention_roles": [], "attachments": [], "pinned": False,
        "embeds": [{"type": "rich"} | e for e in message.embeds], "components": body.get("components") or [],
        "flags": int(body.get("flags") or 0),
    }  # fmt: skip


def _embed_size(embed: JSON) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "") + len(
        (embed.get("author") or {}).get("name") or ""
    )
    return total + sum(
        len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or []
    )


def _text(path: str, value: Any, limit: int, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise form_error(path, "BASE_TYPE_REQUIRED", "This field is required")
    if len(value.strip()) > limit:  # Discord does not count surrounding whitespace
        raise form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _url(path: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 2048 or not _URL.match(value)):
        raise form_error(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def check_embeds(embeds: Any) -> None:
    """Enforce Discord's embed limits (message.mdx): ≤10 embeds, field caps, ≤6000 characters in all."""
    if not isinstance(embeds, list) or len(embeds) > 10:
        raise form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            raise form_error(
                f"embeds.{i}", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
            )
        _text(f"embeds.{i}.title", embed.get("title"), 256)
        _text(f"embeds.{i}.description", embed.get("description"), 4096)
        _text(f"embeds.{i}.footer.text", (embed.get("footer") or {}).get("text"), 2048)
        _text(f"embeds.{i}.author.name", (embed.get("author") or {}).get("name"), 256)
        _url(f"embeds.{i}.url", embed.get("url"))
        _url(f"embeds.{i}.image.url", (embed.get("image") or {}).get("url"))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, item in enumerate(fields):
            _text(f"embeds.{i}.fields.{j}.name", item.get("name"), 256, required=True)
            _text(f"embeds.{i}.fields.{j}.value", item.get("value"), 1024, required=True)
        color = embed.get("color")
        if color is not None and not (isinstance(color, int) and 0 <= color <= 0xFFFFFF):
            raise form_error(f"embeds.{i}.color", "NUMBER_TYPE_MAX", "int value should be <= 16777215.")
    if sum(_embed_size(e) for e in embeds) > 6000:
        raise form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def check_components(rows: Any) -> None:
    """Enforce ≤5 action rows of ≤5 buttons or one select menu; custom_ids 1-100 characters, unique."""
    if not isinstance(rows, list) or len(rows) > 5:
        raise form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        items = row.get("components") if isinstance(row, dict) and row.get("type") == 1 else None
        if not isinstance(items, list) or not 1 <= len(items) <= 5:
            raise form_error(
                f"components.{i}.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
            )
        if any(isinstance(item, dict) and item.get("type") == 3 for item in items) and len(items) != 1:
            # A select menu fills its action row alone.
            raise form_error(f"components.{i}.components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Too wide")
        for j, item in enumerate(items):
            path = f"components.{i}.components.{j}"
            if isinstance(item, dict) and item.get("type") == 3:
                _check_select(path, item)
            elif _check_button(path, item):
                continue  # a link button has no custom_id
            _custom_id(path, item.get("custom_id"), seen)


def _check_button(path: str, button: Any) -> bool:
    """A button of a known style with a label of at most 80 characters; True for a link button."""
    if not isinstance(button, dict) or button.get("type") != 2 or button.get("style") not in range(1, 7):
        raise form_error(path, "COMPONENT_INVALID", "Invalid component")
    _text(f"{path}.label", button.get("label"), 80)
    if button["style"] == 5:
        _url(f"{path}.url", button.get("url"))
        return True
    return False


def _custom_id(path: str, custom_id: Any, seen: set[str]) -> None:
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
        raise form_error(f"{path}.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    if custom_id in seen:
        raise form_error(
            f"{path}.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
        )
    seen.add(custom_id)


def _check_select(path: str, select: JSON) -> None:
    """A string select: 1-25 options with labels and values of 1-100 characters, values unique."""
    options = select.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= 25:
        raise form_error(f"{path}.options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
    _text(f"{path}.placeholder", select.get("placeholder"), 150)
    values: set[str] = set()
    for k, option in enumerate(options):
        where = f"{path}.options.{k}"
        for name in ("label", "value"):
            value = option.get(name) if isinstance(option, dict) else None
            if not isinstance(value, str) or not 1 <= len(value) <= 100:
                raise form_error(
                    f"{where}.{name}", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )
        _text(f"{where}.description", option.get("description"), 100)
        if option["value"] in values:
            raise form_error(f"{where}.value", "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Duplicated value")
        values.add(option["value"])
    low, high = select.get("min_values", 1), select.get("max_values", 1)
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= len(options)):
        raise form_error(f"{path}.max_values", "BASE_TYPE_MAX", "Must be at most the number of options.")


def check_mentions(value: Any) -> None:
    """The project's rule, stricter than Discord: every message says it mentions nobody."""
    if not isinstance(value, dict) or value.get("parse") != [] or value.get("users") or value.get("roles"):
        raise form_error("allowed_mentions", "PROJECT_RULE", 'allowed_mentions must be {"parse": []}')
    if value.get("replied_user"):
        raise form_error("allowed_mentions.replied_user", "PROJECT_RULE", "replied_user must be false")


def check_message(body: Any, *, strict_mentions: bool, editing: bool = False) -> JSON:
    """Validate a create/edit message body like Discord (plus the mentions rule); return it."""
    if not isinstance(body, dict):
        raise ApiError(400, 50109, "The request body contains invalid JSON.")
    _text("content", body.get("content"), 2000)
    if "embeds" in body:
        check_embeds(body["embeds"])
    if "components" in body:
        check_components(body["components"])
    if int(body.get("flags") or 0) & ~SETTABLE_FLAGS:
        raise form_error("flags", "MESSAGE_FLAGS_INVALID", "Invalid message flags")
    if strict_mentions and (not editing or "allowed_mentions" in body or "embeds" in body):
        check_mentions(body.get("allowed_mentions"))
    if not editing and not (body.get("content") or body.get("embeds") or body.get("components")):
        raise ApiError(400, 50006, "Cannot send an empty message")
    return body


def check_commands(commands: Any) -> list[JSON]:
    """Validate a bulk-overwrite of application commands (names, descriptions, option counts)."""
    if not isinstance(commands, list) or len(commands) > 100:
        raise form_error("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    names = [c.get("name") for c in commands if isinstance(c, dict)]
    if len(names) != len(commands) or len(set(names)) != len(names):
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            errors={"_errors": [{"code": "APPLICATION_COMMANDS_DUPLICATE_NAME"}]},
        )
    for i, command in enumerate(commands):
        name, description = str(command.get("name")), command.get("description")
        if not _COMMAND_NAME.match(name) or name != name.lower():
            raise form_error(f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        _text(f"{i}.description", description, 100, required=command.get("type", 1) == 1)
        if len(command.get("options") or []) > 25:
            raise form_error(f"{i}.options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for j, option in enumerate(command.get("options") or []):
            _text(f"{i}.options.{j}.description", option.get("description"), 100, required=True)
        for locale, text in (command.get("description_localizations") or {}).items():
            _text(f"{i}.description_localizations.{locale}", text, 100, required=True)
    return commands
