"""Command line: `python -m bot scan|reindex|latest|preview|run|status|destinations|discord|db`."""

from bot.cli.main import main

__all__ = ["main"]
