"""The shared command list as Discord slash commands, with Chinese descriptions for Chinese clients."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.platforms.discord.handlers import THREAD_TYPES, DiscordHandlers, TargetChannel
from bot.services.reading import COMMANDS

ZH_LOCALES = frozenset({discord.Locale.chinese, discord.Locale.taiwan_chinese})
MAX_PAGE = 999_999  # the shared /latest accepts six digits
_HELP = {c.name: c for c in COMMANDS}
_CHANNEL_HELP = locale_str(
    "Another channel or thread to manage (default: this one)", zh="要管理的其他频道或子区（默认本频道）"
)


def _describe(name: str) -> locale_str:
    spec = _HELP[name]
    return locale_str(spec.help_en, zh=spec.help_zh)


class ChineseDescriptions(app_commands.Translator):
    """Give Chinese Discord clients the Chinese help texts of the shared command list."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """Return the `zh` text attached to a description, for Chinese locales only."""
        return string.extras.get("zh") if locale in ZH_LOCALES else None


class ManagedChannel(app_commands.Transformer):
    """A `channel` option offering only channels a transmission can go to, passed through unresolved."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Text, announcement and forum channels, and threads."""
        kinds = [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]
        return [*kinds, discord.ChannelType.media, *sorted(THREAD_TYPES, key=lambda k: k.value)]

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Any:
        """Keep Discord's resolved channel: it carries the user's permissions there, no cache needed."""
        return value


def _commands(h: DiscordHandlers) -> list[app_commands.Command[Any, ..., None]]:
    """Define every shared command, in the one command list's order; `h` answers them."""
    latest, post, categories, search, help_ = _reading_commands(h)
    subscribe, unsubscribe, settings = _managing_commands(h)
    return [latest, post, categories, search, subscribe, unsubscribe, settings, help_]


def _reading_commands(h: DiscordHandlers) -> list[app_commands.Command[Any, ..., None]]:
    """Define the commands anyone may use: latest, post, categories, search, help."""

    @app_commands.command(name="latest", description=_describe("latest"))
    @app_commands.describe(page=locale_str("Page number (default 1)", zh="页码（默认 1）"))
    async def latest(
        interaction: discord.Interaction[Any], page: app_commands.Range[int, 1, MAX_PAGE] | None = None
    ) -> None:
        await h.read(interaction, f"/latest {page or ''}".strip())

    @app_commands.command(name="post", description=_describe("post"))
    @app_commands.describe(
        slug=locale_str("The post (type to search titles)", zh="文章（输入以搜索标题）"),
        full=locale_str("Read the whole post (in a thread here)", zh="阅读全文（在本频道的子区里）"),
    )
    async def post(
        interaction: discord.Interaction[Any], slug: app_commands.Range[str, 1, 200], full: bool | None = None
    ) -> None:
        await h.post(interaction, slug, full)

    post.autocomplete("slug")(h.post_choices)

    @app_commands.command(name="categories", description=_describe("categories"))
    async def categories(interaction: discord.Interaction[Any]) -> None:
        await h.read(interaction, "/categories")

    @app_commands.command(name="search", description=_describe("search"))
    @app_commands.describe(words=locale_str("Words every result contains", zh="结果须包含的关键词"))
    async def search(interaction: discord.Interaction[Any], words: app_commands.Range[str, 1, 200]) -> None:
        await h.read(interaction, f"/search {words}")

    @app_commands.command(name="help", description=_describe("help"))
    async def help(interaction: discord.Interaction[Any]) -> None:
        await h.read(interaction, "/help")

    return [latest, post, categories, search, help]


def _managing_commands(h: DiscordHandlers) -> list[app_commands.Command[Any, ..., None]]:
    """Define subscribe and unsubscribe (Manage Channels only)."""

    # Options, not a subcommand group: Discord cannot run a group's root, and a bare /subscribe must work.
    # /subscribe [category] | /subscribe digest:<HH:MM or cron> [timezone] — plus [channel] to manage another.
    @app_commands.command(name="subscribe", description=_describe("subscribe"))
    @app_commands.describe(
        category=locale_str("Only posts in this category", zh="只订阅这个分类"),
        digest=locale_str(
            "Instead: a digest at HH:MM or on a cron schedule", zh="或者：按 HH:MM 或 cron 定时摘要"
        ),
        timezone=locale_str("Time zone of the digest (default UTC)", zh="摘要的时区（默认 UTC）"),
        channel=_CHANNEL_HELP,
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)  # a hint admins may override...
    @app_commands.checks.has_permissions(manage_channels=True)  # ...so enforced here too
    async def subscribe(
        interaction: discord.Interaction[Any],
        category: app_commands.Range[str, 1, 200] | None = None,
        digest: app_commands.Range[str, 1, 120] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        channel: app_commands.Transform[TargetChannel, ManagedChannel] | None = None,
    ) -> None:
        await h.subscribe(interaction, category, digest, timezone, channel)

    subscribe.autocomplete("category")(h.category_choices)
    subscribe.autocomplete("timezone")(h.zone_choices)

    @app_commands.command(name="unsubscribe", description=_describe("unsubscribe"))
    @app_commands.describe(channel=_CHANNEL_HELP)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def unsubscribe(
        interaction: discord.Interaction[Any],
        channel: app_commands.Transform[TargetChannel, ManagedChannel] | None = None,
    ) -> None:
        await h.manage(interaction, "unsubscribe", [""], channel)

    return [subscribe, unsubscribe, _settings_command(h)]


def _settings_command(h: DiscordHandlers) -> app_commands.Command[Any, ..., None]:
    """Define /settings (Manage Channels only): silent sends, the language, whole posts."""

    @app_commands.command(name="settings", description=_describe("settings"))
    @app_commands.describe(
        silent=locale_str("Send without notification sound", zh="静默发送（无提醒音）"),
        language=locale_str("Language of transmissions", zh="推送的语言"),
        full=locale_str("Send whole posts instead of cards", zh="推送全文而不是摘要卡片"),
        channel=_CHANNEL_HELP,
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def settings(
        interaction: discord.Interaction[Any],
        silent: Literal["on", "off"] | None = None,
        language: Literal["zh", "en"] | None = None,
        full: Literal["on", "off"] | None = None,
        channel: app_commands.Transform[TargetChannel, ManagedChannel] | None = None,
    ) -> None:
        chosen = {"silent": silent, "language": language, "full": full}
        changes = [f"{name} {value}" for name, value in chosen.items() if value]
        await h.manage(interaction, "settings", changes or [""], channel)

    return settings


def build_tree(
    client: discord.Client, handlers: DiscordHandlers, guild: discord.abc.Snowflake | None
) -> app_commands.CommandTree[Any]:
    """Register the shared commands, in the shared order, globally or for one guild."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    tree.error(handlers.on_error)
    defined = {command.name: command for command in _commands(handlers)}
    for spec in COMMANDS:  # a KeyError here means a shared command has no Discord definition yet
        tree.add_command(defined[spec.name], guild=guild)
    return tree


async def definitions(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> list[dict[str, Any]]:
    """Return exactly the JSON `tree.sync(guild=guild)` would upload (translations included)."""
    commands = tree.get_commands(guild=guild)
    translator = tree.translator
    if translator is None:
        return [command.to_dict(tree) for command in commands]
    return [await command.get_translated_payload(tree, translator) for command in commands]
