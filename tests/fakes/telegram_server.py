"""A local fake Telegram Bot API server on 127.0.0.1 that answers like Telegram, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.telegram_html import (
    ParsedHTML,
    TelegramHTMLError,
    check_callback_data,
    check_caption,
    check_message_text,
)
from tests.fakes.telegram_rich import RichMessageError
from tests.fakes.telegram_rich_input import CheckedRich, check_input_rich_message

JSON = dict[str, Any]
ChatId = int | str
Entities = list[tuple[str, int, int]]

# PTB form-encodes strings as they are and only objects/arrays as JSON, so only these keys get decoded.
_JSON_KEYS = frozenset(
    {"reply_markup", "link_preview_options", "commands", "scope", "allowed_updates", "rich_message"}
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly"
    " the same as a current content and reply markup of the message"
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
    "can_post_messages", "can_edit_messages", "can_pin_messages",
)  # fmt: skip
_GIFTS = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels")


class ApiError(Exception):
    """An error answer: HTTP status ``code`` and Telegram's ``{"ok": false, ...}`` envelope."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> JSON:
        """Return the JSON body Telegram sends with this error."""
        out: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        return out | {"parameters": self.parameters} if self.parameters else out


Check = Callable[[str], ParsedHTML | None]  # a validator of message HTML


def _flag(value: object) -> bool:
    """A boolean parameter as sent in JSON (true) or a form ("true")."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class SentMessage:
    """A message as it now stands in a chat: ``text`` is what users see (photo caption), ``raw`` as sent."""

    message_id: int
    chat_id: int
    date: int
    text: str
    raw: str
    parse_mode: str | None
    entities: Entities = field(default_factory=list)
    photo: str | None = None
    reply_markup: JSON | None = None
    link_preview_options: JSON | None = None
    message_thread_id: int | None = None
    edit_date: int | None = None
    rich: bool = False  # sent by sendRichMessage (or edited into one): ``raw`` is its html, ``text`` plain
    rich_message: JSON | None = None  # the InputRichMessage as received
    billed: bool = False  # a paid broadcast send that cost 0.1 Star

    @property
    def rich_html(self) -> str | None:
        """The Rich HTML of a rich message sent in the html form, else None."""
        return self.raw if self.rich and self.rich_message and "html" in self.rich_message else None


@dataclass(frozen=True)
class RecordedRequest:
    """One API call as the fake received it."""

    method: str
    params: JSON
    time: float
    status: int


class FakeTelegram:
    """Fake Bot API: validates like Telegram, enforces flood limits on an injected clock, scripts failures."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",
        enforce_limits: bool = True,
        per_chat_per_s: float = 1,
        per_group_per_min: int = 20,
        global_per_s: int = 30,
        clock: Callable[[], float] = time.monotonic,
        strict_html: bool = True,
        rich_messages: bool = True,
        paid_per_s: int = 1000,
        stars: float = 1_000_000.0,
    ) -> None:
        self.token, self.enforce_limits, self.strict_html = token, enforce_limits, strict_html
        self.per_chat_per_s, self.per_group_per_min = per_chat_per_s, per_group_per_min
        self.global_per_s, self.rich_messages = global_per_s, rich_messages  # False: a pre-10.1 server
        # Paid broadcasts: with allow_paid_broadcast, up to paid_per_s sends a second in all; a send
        # above the free limit costs 0.1 Star (counted in tenths, no float drift); none left: 429.
        self.paid_per_s, self.stars_tenths, self.paid_billed = paid_per_s, round(stars * 10), 0
        prefix = token.partition(":")[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.messages: dict[int, list[SentMessage]] = {}
        self.requests: list[RecordedRequest] = []
        self.rate_limited = 0
        self.admins: dict[int, set[int]] = {}  # chat id -> user ids getChatMember reports as administrators
        self.channels: set[int] = set()  # negative ids that are channels; other negative ids are supergroups
        self.usernames: dict[str, int] = {}  # "@name" -> chat id; other strings are "chat not found"
        self.commands: dict[str, list[JSON]] = {}
        self.webhook: str | None = None  # set by setWebhook (the fake accepts loopback http for tests)
        self.webhook_secret: str | None = None  # the secret_token setWebhook was given
        self.port = 0
        self._clock = clock
        self._scripted: dict[ChatId, deque[ApiError]] = {}
        self._blocked: dict[ChatId, str] = {}
        self._migrated: dict[ChatId, int] = {}
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._update_pushed = asyncio.Event()
        self._last_id: dict[int, int] = {}
        self._sent_all: deque[float] = deque()  # every send of the last second, free and paid
        self._sent: dict[int, deque[float]] = {}
        self._verdicts: dict[tuple[Check, str], ParsedHTML | TelegramHTMLError | None] = {}
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[JSON], Any]] = {
            "getme": lambda p: self._me(), "deletewebhook": lambda p: True, "close": lambda p: True,
            "setwebhook": self._set_webhook, "getwebhookinfo": lambda p: {"url": self.webhook or ""},
            "logout": lambda p: True, "getupdates": self._get_updates, "getchat": self._get_chat,
            "getchatmember": self._get_chat_member, "answercallbackquery": self._answer_callback,
            "setmycommands": self._set_commands, "getmycommands": self._get_commands,
            "sendmessage": lambda p: self._send(p, "text"), "sendphoto": lambda p: self._send(p, "caption"),
            "editmessagetext": lambda p: self._edit(p, "text"), "deletemessage": self._delete,
            "editmessagecaption": lambda p: self._edit(p, "caption"),
            "editmessagereplymarkup": lambda p: self._edit(p, None), "sendrichmessage": self._send_rich,
        }  # fmt: skip

    @property
    def base_url(self) -> str:
        """URL to hand to ``Bot(base_url=...)``; PTB appends ``{token}/{method}``."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        self._update_pushed.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def fail_next(
        self, chat_id: ChatId, *, error_code: int, description: str, parameters: JSON | None = None,
        times: int = 1,
    ) -> None:  # fmt: skip
        """Answer the next ``times`` message calls (send/edit/delete) for this chat with this error."""
        queue = self._scripted.setdefault(self._key(chat_id), deque())
        queue.extend(ApiError(error_code, description, parameters) for _ in range(times))

    def block(self, chat_id: ChatId, description: str = "Forbidden: bot was blocked by the user") -> None:
        """Answer every later message call for this chat with 403."""
        self._blocked[self._key(chat_id)] = description

    def migrate(self, chat_id: ChatId, new_chat_id: int) -> None:
        """Make this group a supergroup: later message calls to the old id get 400 with migrate_to_chat_id."""
        self._migrated[self._key(chat_id)] = new_chat_id

    def fail_with_5xx(self, chat_id: ChatId, times: int = 1) -> None:
        """Answer the next ``times`` message calls for this chat with 502 Bad Gateway."""
        self.fail_next(chat_id, error_code=502, description="Bad Gateway", times=times)

    def messages_in(self, chat_id: ChatId) -> list[SentMessage]:
        """The messages a chat holds now, oldest first (rich ones: ``rich_html``, ``text`` plain)."""
        key = self._key(chat_id)
        return list(self.messages.get(key, [])) if isinstance(key, int) else []

    def push_update(self, update: JSON) -> None:
        """Queue an update for getUpdates, numbering it when it has no update_id."""
        update = {"update_id": self._next_update_id} | update
        self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
        self._updates.append(update)
        self._update_pushed.set()

    async def _handle(self, request: web.Request) -> web.Response:
        method, now = request.match_info["method"], self._clock()
        params = await self._params(request)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method.lower())  # Telegram matches method names case-insensitively
            if handler is None:
                raise ApiError(404, "Not Found")
            result = handler(params)
            result = await result if inspect.isawaitable(result) else result  # only getUpdates waits
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.code, error.body()
            self.rate_limited += status == 429
        self.requests.append(RecordedRequest(method, params, now, status))
        return web.json_response(body, status=status)

    async def _params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                params |= body if isinstance(body, dict) else {}
            return params
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = value.filename  # an upload: its name is all a test needs
                continue
            text = value.decode() if isinstance(value, bytes) else value
            try:
                params[key] = json.loads(text) if key in _JSON_KEYS else text
            except ValueError:
                params[key] = text  # left a string so validation refuses it as Telegram would
        return params

    def _key(self, chat_id: object) -> ChatId:
        text = str(chat_id).strip()
        return int(text) if re.fullmatch(r"-?\d+", text) else self.usernames.get(text, text)

    def _chat(self, params: JSON) -> int:
        if params.get("chat_id") in (None, ""):
            raise _bad("chat_id is empty")
        chat = self._key(params["chat_id"])
        if isinstance(chat, str) or chat == 0:
            raise _bad("chat not found")
        return chat

    def _target(self, params: JSON) -> int:
        """Resolve chat_id of a message call and apply scripted failures: one-shots, migrate, then block."""
        chat = self._chat(params)
        if queue := self._scripted.get(chat):
            raise queue.popleft()
        if chat in self._migrated:
            upgraded = "group chat was upgraded to a supergroup chat"
            raise ApiError(400, f"Bad Request: {upgraded}", {"migrate_to_chat_id": self._migrated[chat]})
        if chat in self._blocked:
            raise ApiError(403, self._blocked[chat])
        return chat

    @staticmethod
    def _int(params: JSON, key: str, missing: str) -> int:
        try:
            return int(params[key])
        except (KeyError, TypeError, ValueError):
            raise _bad(missing) from None

    @property
    def stars(self) -> float:
        """The bot's fake Stars balance."""
        return self.stars_tenths / 10

    def _throttle(self, chat: int, paid: bool = False) -> bool:
        """Raise 429 if one more message would exceed a sliding window; otherwise count it (True: billed).

        A paid send (allow_paid_broadcast) is held to `paid_per_s` in all instead of the free
        limit; it is billed 0.1 Star only when the free window (every send of the last second) is
        full, and refused with a 429 when the balance cannot pay. Per-chat and per-group limits
        hold either way.
        """
        if not self.enforce_limits:
            return False
        now, rate = self._clock(), self.per_chat_per_s
        per_chat, chat_window = (int(rate), 1.0) if rate >= 1 else (1, 1 / rate)  # 0.5/s = one per 2 s
        mine = self._sent.setdefault(chat, deque())
        for times, keep in ((self._sent_all, 1.0), (mine, max(60.0, chat_window))):
            while times and times[0] <= now - keep:
                times.popleft()
        # Every send counts towards the free limit; a paid one may go above it, and is billed if it does.
        free_full = len(self._sent_all) >= self.global_per_s
        overall = (self._sent_all, self.paid_per_s if paid else self.global_per_s)
        wait = self._wait(overall, mine, (per_chat, chat_window), now, chat)
        billed = paid and free_full
        if wait == 0 and billed and self.stars_tenths < 1:
            wait = 1.0  # the balance cannot pay: Telegram answers paid sends with 429 then
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
        if billed:
            self.stars_tenths -= 1
            self.paid_billed += 1
        self._sent_all.append(now)
        mine.append(now)
        return billed

    def _wait(self, overall: tuple[deque[float], int], mine: deque[float], per_chat: tuple[int, float],
              now: float, chat: int) -> float:  # fmt: skip
        """Seconds until one more send fits every window (0: now)."""
        times, limit = overall
        wait = times[-limit] + 1.0 - now if len(times) >= limit else 0.0  # it holds exactly the last second
        windows = [per_chat] + ([(self.per_group_per_min, 60.0)] if chat < 0 else [])  # groups: N a minute
        for limit, window in windows:
            recent = [t for t in mine if t > now - window]
            if len(recent) >= limit:  # the window frees when its limit-th newest send ages out
                wait = max(wait, recent[-limit] + window - now)
        return wait

    def _html(self, check: Callable[[str], ParsedHTML | None], value: str) -> ParsedHTML | None:
        """Run a validator; None when only our stricter rules object and strict_html is off."""
        # A broadcast sends one text to thousands of chats: its verdict is worked out once (the
        # parse is most of the fake's time per request, and 1,000 requests a second must fit).
        key = (check, value)
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) >= 512:
                self._verdicts.clear()
            try:
                verdict = self._verdicts[key] = check(value)
            except TelegramHTMLError as error:
                verdict = self._verdicts[key] = error
        if isinstance(verdict, TelegramHTMLError):
            if self.strict_html or not verdict.telegram_accepts:
                raise ApiError(400, verdict.description) from None
            return None
        return verdict

    def _text(self, params: JSON, key: str) -> tuple[str, str, str | None, Entities]:
        """Validate ``text``/``caption``; return (visible text, raw, parse_mode, entities)."""
        raw, mode = str(params.get(key) or ""), str(params.get("parse_mode") or "") or None
        caption = key == "caption"
        if mode is not None and mode.lower() not in ("html", "markdownv2"):
            raise _bad("unsupported parse_mode")
        if mode is not None and mode.lower() == "html":
            parsed = self._html(check_caption if caption else check_message_text, raw)
            return (parsed.text, raw, mode, parsed.entities) if parsed else (raw, raw, mode, [])
        # Plain text and MarkdownV2 (not parsed here, so its markup counts towards the limit: a bit stricter).
        if len(raw.encode()) > 1 << 15:
            raise _bad("text is too long")
        if not caption and not raw.strip():
            raise _bad("message text is empty")
        if len(raw) > (1024 if caption else 4096):
            raise _bad("message caption is too long" if caption else "message is too long")
        return raw, raw, mode, []

    def _markup(self, params: JSON) -> JSON | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse reply keyboard markup JSON object")
        for button in (button for row in rows for button in row):
            if isinstance(button, dict) and "callback_data" in button:
                self._html(check_callback_data, str(button["callback_data"]))
        return dict(markup)

    def _find(self, chat: int, params: JSON, not_found: str) -> SentMessage:
        message_id = self._int(params, "message_id", "message identifier is not specified")
        for message in self.messages.get(chat, []):
            if message.message_id == message_id:
                return message
        raise _bad(not_found)

    def _me(self) -> JSON:
        flags = dict(can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False)
        return {"id": self.bot_id, "is_bot": True, "first_name": "Fake Bot", "username": "fake_bot"} | flags

    def _chat_object(self, chat: int) -> JSON:
        if chat > 0:
            return {"id": chat, "type": "private", "first_name": f"User {chat}"}
        kind = "channel" if chat in self.channels else "supergroup"
        return {"id": chat, "type": kind, "title": f"Chat {chat}"}

    def _message_object(self, message: SentMessage) -> JSON:
        chat = self._chat_object(message.chat_id)
        out: JSON = {"message_id": message.message_id, "date": message.date, "chat": chat}
        out |= {"sender_chat": chat} if chat["type"] == "channel" else {"from": self._me()}
        if message.rich:  # a RichMessage: its top-level blocks, plus the plain text for tests
            outline = check_input_rich_message(message.rich_message).outline  # valid: it was sent
            blocks = [{"type": block.type, "text": block.text} for block in outline]
            out["rich_message"] = {"blocks": blocks, "text": message.text}
            out["rich_message"] |= {"is_rtl": True} if (message.rich_message or {}).get("is_rtl") else {}
        elif message.photo is None:
            out["text"] = message.text
        else:
            file_id = f"photo-{message.chat_id}-{message.message_id}"
            out["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 1280, "height": 720}]
            out |= {"caption": message.text} if message.text else {}
        optional = {
            "reply_markup": message.reply_markup, "link_preview_options": message.link_preview_options,
            "message_thread_id": message.message_thread_id, "edit_date": message.edit_date,
        }  # fmt: skip
        out |= {key: value for key, value in optional.items() if value is not None}
        return out | {"is_topic_message": True} if message.message_thread_id else out

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset = int(params.get("offset") or 0)
        limit, timeout = int(params.get("limit") or 100), float(params.get("timeout") or 0)
        if offset > 0:  # asking from `offset` confirms (forgets) every earlier update, as Telegram does
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._update_pushed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_pushed.wait(), min(timeout, 1.0))  # cap long polls at 1 s
        return self._updates[:limit]

    def _scope(self, params: JSON) -> str:
        return json.dumps([params.get("scope") or {"type": "default"}, params.get("language_code") or ""])

    def _set_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        if not all(_COMMAND.fullmatch(str(c.get("command", ""))) for c in commands):
            raise _bad("BOT_COMMAND_INVALID")
        self.commands[self._scope(params)] = commands
        return True

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        if url and not url.startswith(("https://", "http://127.0.0.1")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        self.webhook = url or None
        self.webhook_secret = None if secret is None else str(secret)
        return True

    def _get_commands(self, params: JSON) -> list[JSON]:
        return self.commands.get(self._scope(params), [])

    def _answer_callback(self, params: JSON) -> bool:
        if not params.get("callback_query_id"):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        return True

    def _get_chat(self, params: JSON) -> JSON:
        full = {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(_GIFTS, False),
        }
        return self._chat_object(self._chat(params)) | full

    def _get_chat_member(self, params: JSON) -> JSON:
        chat, user_id = self._chat(params), self._int(params, "user_id", "invalid user_id specified")
        user = {"id": user_id, "is_bot": user_id == self.bot_id, "first_name": f"User {user_id}"}
        if user_id not in self.admins.get(chat, set()):
            return {"status": "member", "user": user}
        fixed = {"can_be_edited": False, "is_anonymous": False, "can_promote_members": False}
        return {"status": "administrator", "user": user} | fixed | dict.fromkeys(_ADMIN_RIGHTS, True)

    def _send(self, params: JSON, key: str) -> JSON:
        """sendMessage (key "text") or sendPhoto (key "caption"): validate, count, store, answer."""
        chat = self._target(params)
        photo = str(params.get("photo") or "") if key == "caption" else None
        if photo == "":
            raise _bad("there is no photo in the request")
        thread = self._thread(params)
        text, raw, mode, entities = self._text(params, key)
        markup, preview = self._markup(params), params.get("link_preview_options")
        if preview is not None and not isinstance(preview, dict):
            raise _bad("can't parse link preview options JSON object")
        billed = self._throttle(chat, _flag(params.get("allow_paid_broadcast")))
        self._last_id[chat] = message_id = self._last_id.get(chat, 0) + 1
        message = SentMessage(message_id, chat, int(time.time()), text, raw, mode, entities, photo, markup)
        message.billed = billed
        message.link_preview_options, message.message_thread_id = preview, thread
        self.messages.setdefault(chat, []).append(message)
        return self._message_object(message)

    def _thread(self, params: JSON) -> int | None:
        if params.get("message_thread_id") in (None, ""):
            return None
        thread = self._int(params, "message_thread_id", "message thread not found")
        if thread == 1:  # the General topic must be addressed by omitting the id
            raise _bad("message thread not found")
        return thread

    def _rich(self, params: JSON) -> CheckedRich:
        try:
            return check_input_rich_message(params.get("rich_message"))
        except RichMessageError as error:
            raise ApiError(400, error.description) from None

    def _send_rich(self, params: JSON) -> JSON:
        """sendRichMessage; a server predating Bot API 10.1 does not know the method."""
        if not self.rich_messages:
            raise ApiError(404, "Not Found: method not found")
        chat = self._target(params)
        thread, rich, markup = self._thread(params), self._rich(params), self._markup(params)
        billed = self._throttle(chat, _flag(params.get("allow_paid_broadcast")))
        self._last_id[chat] = message_id = self._last_id.get(chat, 0) + 1
        message = SentMessage(message_id, chat, int(time.time()), rich.text, rich.source, None)
        message.billed = billed
        message.reply_markup = markup
        message.message_thread_id, message.rich, message.rich_message = thread, True, rich.message
        self.messages.setdefault(chat, []).append(message)
        return self._message_object(message)

    def _edit(self, params: JSON, key: str | None) -> JSON:
        """editMessageText/Caption (key "text"/"caption") or editMessageReplyMarkup (key None)."""
        chat = self._target(params)
        # rich_message replaces text (and wins over it); an older server ignores it, leaving no text at all.
        rich_edit = key == "text" and self.rich_messages and "rich_message" in params
        rich = self._rich(params) if rich_edit else None
        new = self._text(params, key) if key and rich is None else None
        markup = self._markup(params)  # omitting it removes the keyboard, as on Telegram
        message = self._find(chat, params, "message to edit not found")
        if key and (message.photo is None) != (key == "text"):
            raise _bad(f"there is no {key} in the message to edit")
        if rich is not None:
            same = message.rich and message.rich_message == rich.message
        else:  # the result, not raw
            same = new is None or (not message.rich and (new[0], new[3]) == (message.text, message.entities))
        if same and markup == message.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        self._throttle(chat)
        if rich is not None:
            message.text, message.raw, message.parse_mode, message.entities = rich.text, rich.source, None, []
        elif new is not None:
            message.text, message.raw, message.parse_mode, message.entities = new
        if new or rich:
            message.rich, message.rich_message = rich is not None, rich.message if rich else None
        message.reply_markup, message.edit_date = markup, int(time.time())
        return self._message_object(message)

    def _delete(self, params: JSON) -> bool:
        chat = self._target(params)
        self.messages[chat].remove(self._find(chat, params, "message to delete not found"))
        return True
