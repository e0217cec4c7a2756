"""A throwaway PostgreSQL server for the test run; the Makefile installs the binaries (`deps-postgres`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server is not installed, and the tests marked `postgres` need it: "
    "`make deps-postgres` installs Debian's `postgresql` (as root; `make test` does it first); "
    "to run without them, `pytest -m 'not postgres'`"
)


def _version(initdb: Path) -> list[int]:
    """/usr/lib/postgresql/15/bin/initdb -> [15] (9.6 -> [9, 6]), to find the newest."""
    return [int(part) for part in initdb.parts[-3].split(".") if part.isdigit()]


def bin_dir() -> Path | None:
    """Return the folder with initdb and pg_ctl (Debian's newest major version, else on PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_version)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server() -> Iterator[str]:
    """Start a cluster on a free loopback port; yield its base URL (postgresql://user@host:port)."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError(INSTALL_HINT)
    root = os.geteuid() == 0
    # initdb and pg_ctl refuse to run as root: run them as the postgres user on a folder it owns.
    data = Path(tempfile.mkdtemp(prefix="it-pg-"))
    if root:
        shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    port = _free_port()
    prefix = ["runuser", "-u", "postgres", "--"] if root else []
    log = data / "server.log"
    subprocess.run(
        [*prefix, str(binaries / "initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c fsync=off -c synchronous_commit=off "
        f"-c full_page_writes=off -c unix_socket_directories={data} -c max_connections=200"
    )
    subprocess.run(
        [
            *prefix,
            str(binaries / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)
