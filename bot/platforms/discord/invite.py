"""The link that adds the bot to a Discord server with exactly the permissions it uses."""

from __future__ import annotations

import discord

# `bot` puts the bot user in the server; `applications.commands` lets it register slash commands.
SCOPES = ("bot", "applications.commands")


def bot_permissions() -> discord.Permissions:
    """Return what the bot needs in a channel it posts to, and nothing more.

    See a channel and post in it, in its threads too (View Channel, Send Messages, Send Messages
    in Threads); transmissions with embeds and images (Embed Links, Attach Files); its own earlier
    messages, to edit or delete them (Read Message History); new posts in forum channels, which are
    threads (Create Public Threads). Nothing to manage, moderate or mention everyone.
    """
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
        create_public_threads=True,
    )


def invite_url(application_id: int) -> str:
    """Return the OAuth2 URL that invites the application's bot with `bot_permissions()`."""
    return discord.utils.oauth_url(application_id, permissions=bot_permissions(), scopes=SCOPES)
