"""Incoming Transmission: broadcast a Markdown blog's new posts to Telegram and Discord."""

__version__ = "0.1.0"
