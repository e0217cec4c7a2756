"""Checks before a command touches anything: where the database lives, where the posts are.

Each problem is one line that names the setting, the path and what to do, instead of a traceback
from deep inside SQLite, or a silent new empty database in whatever folder the command ran from.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import DEFAULT_DATABASE_URL, Settings


class PreflightError(RuntimeError):
    """A setting points somewhere the bot cannot work; the message is the one line to show."""


def sqlite_path(database_url: str) -> Path | None:
    """Return the file of a SQLite URL; None for PostgreSQL, in-memory and URI databases."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def _shown(path: Path) -> str:
    return str(path) if path.is_absolute() else f"{path} (under the working folder {Path.cwd()})"


def check_database_location(settings: Settings) -> None:
    """Refuse a SQLite database whose folder is missing or unwritable, naming DATABASE_URL.

    A folder is never created behind the operator's back (a command run from the wrong folder
    would start a new, empty database there) with one exception: when DATABASE_URL is unset and
    the posts folder is inside the working folder (a checkout: `make run`), `data/` is made.
    """
    path = sqlite_path(settings.database_url)
    if path is None:
        return
    folder = path.parent
    unset = "database_url" not in settings.model_fields_set
    setting = (
        f"DATABASE_URL is not set, so the database is {DEFAULT_DATABASE_URL}" if unset else "DATABASE_URL"
    )
    if not folder.exists():
        if unset and not path.is_absolute() and _posts_inside_working_folder(settings):
            folder.mkdir(parents=True, exist_ok=True)
            return
        raise PreflightError(
            f"{setting}: the folder {_shown(folder)} does not exist; create it, or set DATABASE_URL "
            "to the database you mean (nothing was created)"
        )
    if not folder.is_dir():
        raise PreflightError(f"{setting}: {_shown(folder)} is not a folder")
    if path.is_dir():
        raise PreflightError(f"{setting}: {_shown(path)} is a folder, not a database file")
    try:
        # SQLite writes the database and, in WAL mode, two files beside it: the folder must take them.
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
            pass
        if path.exists():
            os.close(os.open(path, os.O_RDWR))
    except OSError as exc:
        raise PreflightError(
            f"{setting}: cannot write the SQLite database {_shown(path)}: {exc.strerror or exc}"
        ) from None


def _posts_inside_working_folder(settings: Settings) -> bool:
    posts = settings.posts_dir
    if not posts.is_dir():
        return False
    return posts.resolve().is_relative_to(Path.cwd().resolve())


def check_posts_dir(settings: Settings) -> None:
    """Refuse a POSTS_DIR that is missing or not a folder (the posts already stored are kept)."""
    folder = settings.posts_dir
    if folder.is_dir():
        return
    what = "is not a folder" if folder.exists() else "does not exist"
    raise PreflightError(
        f"POSTS_DIR: the posts folder {_shown(folder)} {what}; set POSTS_DIR to the folder of your "
        "posts (nothing was indexed or removed)"
    )
