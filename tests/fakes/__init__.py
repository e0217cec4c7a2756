"""Fakes of the external platforms (Telegram, Discord) used by the tests."""
