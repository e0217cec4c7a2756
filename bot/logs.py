"""Logging setup: one line per event, with every secret redacted wherever it appears."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Replace secrets in the finished line, tracebacks included.

    Libraries log URLs that contain the Telegram token (PTB at DEBUG, httpx at INFO); redacting the
    output catches them all, whoever logs and however the message was built.
    """

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """Format the record, then blank out every secret."""
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, "***")
        return line


def secret_parts(token: str) -> list[str]:
    """Return a token and the part after its colon (Telegram's bot id alone is not secret)."""
    _, _, tail = token.partition(":")
    return [token, tail] if tail else [token]


def configure(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`, redacting `secrets`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(secrets))
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
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
