"""Telegram as the registry knows it: on with TELEGRAM_BOT_TOKEN, Telegram's published limits."""

from __future__ import annotations

from contextlib import AsyncExitStack

from bot.broadcast.pacing import Limits, Pacer, Window
from bot.broadcast.paid import PaidPolicy
from bot.platforms.spec import Host, PlatformSpec, Started
from bot.settings import Settings


def limits(settings: Settings) -> Limits:
    """Overall, per-chat and per-group windows from the settings (fractions kept, not truncated)."""
    return Limits(
        overall=Window.per_second(settings.telegram_global_per_s),
        per_chat=Window.per_second(settings.telegram_chat_per_s),
        per_group=Window.rate(settings.telegram_group_per_min, 60.0),
        paid=paid_policy(settings),
    )


def paid_policy(settings: Settings) -> PaidPolicy | None:
    """Paid broadcasts as TELEGRAM_PAID_* allow them (None: off)."""
    mode, stars = settings.telegram_paid_broadcast, settings.telegram_paid_daily_stars
    if mode == "off" or not stars:
        return None
    threshold = settings.telegram_paid_min_queue if mode == "auto" else 0
    return PaidPolicy(per_second=settings.telegram_paid_per_s, daily_stars=stars, min_queue=threshold)


async def start(host: Host, stack: AsyncExitStack) -> Started:
    """Start polling (or the webhook) and the sender; imported lazily, PTB is heavy."""
    from bot.platforms.telegram.platform import TelegramPlatform

    settings = host.settings
    assert settings.telegram_bot_token is not None
    secret = settings.telegram_webhook_secret
    telegram = TelegramPlatform(
        token=settings.telegram_bot_token.get_secret_value(),
        commands=host.commands,
        services=host.services,
        clock=host.clock,
        zone=settings.zone,
        default_lang=settings.language,
        owners=settings.owners,
        base_url=settings.telegram_base_url,
        webhook_url=settings.telegram_webhook_url,
        webhook_host=settings.telegram_webhook_host,
        webhook_port=settings.telegram_webhook_port,
        webhook_secret=secret.get_secret_value() if secret else None,
        pacer=Pacer(limits(settings)),
        rich=settings.telegram_rich,
        http=settings.telegram_http_client,
        connections=settings.telegram_connections,
    )
    await telegram.start()
    stack.push_async_callback(telegram.stop)
    return Started(telegram.sender, telegram.pacer)


SPEC = PlatformSpec(
    name="telegram",
    setting="TELEGRAM_BOT_TOKEN",
    enabled=lambda settings: settings.telegram_bot_token is not None,
    limits=limits,
    start=start,
)
