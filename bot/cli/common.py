"""What every command shares: its errors and how it prints JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


class CommandError(Exception):
    """A command cannot do what was asked; the message is the one line to show."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def print_json(value: Any) -> None:
    """Print a JSON answer, readable and with non-ASCII kept."""
    print(json.dumps(value, ensure_ascii=False, indent=2))


def show_error(args: argparse.Namespace, message: str, code: int) -> int:
    """Show an error in the command's own format: one JSON object with --json, else one line."""
    if getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        print(f"error: {message}", file=sys.stderr)
    return code
