"""Logging setup: one line per event, with every secret redacted wherever it appears."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Replace secrets in the finished line, tracebacks included.

    Libraries log URLs that contain the Telegram token (PTB at DEBUG, httpx at INFO); redacting the
    output catches them all, whoever logs and however the message was built. Matching ignores case:
    PTB lowercases some error messages that echo the request URL.
    """

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT, as_json: bool = False) -> None:
        super().__init__(fmt)
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._json = as_json
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Redact these secrets too (one generated at start, say)."""
        self._secrets |= {s for s in secrets if len(s) >= 6}
        # Longest first, so a secret that contains another is replaced whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def format(self, record: logging.LogRecord) -> str:
        """Format the record (one line; JSON if asked), then blank out every secret."""
        if self._json:
            event = {
                "time": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                event["exception"] = self.formatException(record.exc_info)
            line = json.dumps(event, ensure_ascii=False)
        else:
            line = super().format(record)
        return self._pattern.sub("***", line) if self._pattern is not None else line


def secret_parts(token: str) -> list[str]:
    """Return a token and the part after its colon (Telegram's bot id alone is not secret)."""
    _, _, tail = token.partition(":")
    return [token, tail] if tail else [token]


def redact(*secrets: str) -> None:
    """Add secrets to every redacting handler of the root logger (a secret made after start)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, RedactingFormatter):
            handler.formatter.add(secrets)


def configure(level: str, secrets: Iterable[str], as_json: bool = False) -> None:
    """Log to stderr at `level`, one line per event (JSON if asked), redacting `secrets`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets, as_json=as_json))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram's URLs contain the token: keep it quiet
    # unless we are debugging (the formatter redacts it even then).
    if level != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG, webhook secrets among them.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
