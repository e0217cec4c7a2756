"""Settings from the environment or `.env`, validated with clear messages."""

from __future__ import annotations

import re
from datetime import tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.store.database import DatabaseURLError, async_url

DEFAULT_DATABASE_URL = "sqlite:///data/bot.db"
_SECRET_SETTINGS = frozenset(
    {"DATABASE_URL", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"}
)


class SettingsError(ValueError):
    """A setting has a value the bot cannot use; the message names the setting and the fix."""


PAID_CONCURRENCY = 32  # Telegram sends in flight while paying (unless SEND_CONCURRENCY is set)


class Settings(BaseSettings):
    """Every knob an operator can turn; see the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    posts_dir: Path = Path("posts")
    database_url: str = DEFAULT_DATABASE_URL
    site_url: str = ""
    scan_interval: float = Field(60.0, gt=0, le=86400)
    timezone: str = "UTC"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    language: Literal["zh", "en"] = "zh"
    page_size: int = Field(5, ge=1, le=10)
    excerpt_chars: int = Field(350, ge=40, le=1000)
    max_post_bytes: int = Field(1024 * 1024, ge=1024)
    permalink: str = ""
    posts_include: str = ""
    posts_exclude: str = ""
    parse_timeout: float = Field(10.0, gt=0, le=600)
    parser_memory_mb: int = Field(1024, ge=128)
    broadcast_max_age: float = Field(3 * 86400, ge=0)
    http_port: int = Field(8080, ge=0, le=65535)
    http_host: str = "127.0.0.1"  # the image sets 0.0.0.0
    log_format: Literal["text", "json"] = "text"
    collapse_after: int = Field(5, ge=1)
    delete_removed: bool = False
    watch: bool = True
    send_concurrency: int = Field(8, ge=1, le=256)
    telegram_global_per_s: float = Field(30, gt=0)
    telegram_chat_per_s: float = Field(1, gt=0)
    telegram_group_per_min: float = Field(20, gt=0)
    # Paid broadcasts (allow_paid_broadcast): up to TELEGRAM_PAID_PER_S in all, 0.1 Star a message
    # above the free limit, within a daily Stars budget; auto pays only for big queues.
    telegram_paid_broadcast: Literal["off", "on", "auto"] = "off"
    telegram_paid_per_s: int = Field(1000, ge=1, le=1000)
    telegram_paid_daily_stars: float | None = Field(None, ge=0)
    telegram_paid_min_queue: int = Field(1000, ge=1)
    # Discord allows 50 requests/s in all; the sender holds every request discord.py makes (login,
    # syncs, look-ups) to it as well, so the pacer may plan with all of it.
    discord_global_per_s: float = Field(50, gt=0)
    discord_channel_per_5s: float = Field(5, gt=0)
    # Outgoing webhooks (`destinations add --platform webhook`): on unless WEBHOOKS=false.
    webhooks: bool = True
    webhook_per_s: float = Field(10, gt=0)
    webhook_url_per_s: float = Field(1, gt=0)
    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_host: str = "127.0.0.1"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)
    telegram_webhook_secret: SecretStr | None = None
    # Whole posts as rich messages (Bot API 10.1): auto tries them and falls back to HTML parts.
    telegram_rich: Literal["auto", "on", "off"] = "auto"
    # The Bot API calls' HTTP client: aiohttp makes ~1,400 calls/s on one core, PTB's httpx 300-450.
    telegram_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    telegram_connections: int = Field(256, ge=1, le=4096)
    bot_admins: str = ""
    discord_bot_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_api_base_url: str | None = None

    def concurrency_for(self, platform: str) -> int:
        """Return the sends in flight for `platform`: SEND_CONCURRENCY, or PAID_CONCURRENCY for paid ones."""
        # 1,000 sends a second over ~30 ms round trips need ~30 in flight; a crash may repeat as
        # many sends as are in flight, so the free default stays small.
        paying = platform == "telegram" and self.telegram_paid_broadcast != "off"
        if paying and "send_concurrency" not in self.model_fields_set:
            return PAID_CONCURRENCY
        return self.send_concurrency

    @model_validator(mode="after")
    def _paid_budget(self) -> Settings:
        # Paying without a ceiling could empty the bot's Stars balance: the budget must be chosen.
        if self.telegram_paid_broadcast != "off" and self.telegram_paid_daily_stars is None:
            raise ValueError(
                "TELEGRAM_PAID_BROADCAST is on: set TELEGRAM_PAID_DAILY_STARS, the Stars it may spend a day "
                "(0.1 Star per message above the free limit; 100 Stars = 1,000 paid messages)"
            )
        return self

    @field_validator("permalink")
    @classmethod
    def _relative_pattern(cls, value: str) -> str:
        value = value.strip()
        if value.startswith(("http://", "https://")):
            raise ValueError("PERMALINK is a path under SITE_URL, like /:year/:month/:slug/")
        return value

    @property
    def include_globs(self) -> tuple[str, ...]:
        """POSTS_INCLUDE as a tuple of globs."""
        return _globs(self.posts_include)

    @property
    def exclude_globs(self) -> tuple[str, ...]:
        """POSTS_EXCLUDE as a tuple of globs."""
        return _globs(self.posts_exclude)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: str) -> str:
        try:
            async_url(value)
        except DatabaseURLError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("site_url")
    @classmethod
    def _http_site(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("SITE_URL must start with http:// or https://")
        return value

    @field_validator(
        "telegram_bot_token",
        "discord_bot_token",
        "telegram_base_url",
        "telegram_webhook_url",
        "telegram_webhook_secret",
        "discord_guild_id",
        "discord_api_base_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `.env.example` lists TELEGRAM_BOT_TOKEN= with no value: that means "no token".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 of A-Z, a-z, 0-9, _ and -; a short one could be guessed.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET takes 16-256 letters, digits, _ and -")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bot_admins")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        for part in value.replace(",", " ").split():
            if not part.lstrip("-").isdigit():
                raise ValueError(f"BOT_ADMINS takes numeric user ids separated by commas, not {part!r}")
        return value

    @property
    def owners(self) -> frozenset[int]:
        """The user ids allowed to use the owner commands."""
        return frozenset(int(part) for part in self.bot_admins.replace(",", " ").split())

    @property
    def zone(self) -> tzinfo:
        """The configured zone, used for naive post dates and for showing dates."""
        return ZoneInfo(self.timezone)


def _globs(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning validation errors into one readable `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            # URLs may carry passwords and tokens are secrets: never echo those values back.
            shown = "" if name in _SECRET_SETTINGS else f" (got {error.get('input')!r})"
            problems.append(f"{name}: {message}{shown}")
        raise SettingsError("bad setting: " + "; ".join(problems)) from None
