"""The Telegram platform, on python-telegram-bot."""
