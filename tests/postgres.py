"""A throwaway PostgreSQL server for the test run, installed from Debian's packages if missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def ensure_installed() -> Path:
    """Return PostgreSQL's bin folder, installing Debian's `postgresql` package when it is absent."""
    existing = _bin_dir()
    if existing is not None:
        return existing
    if os.geteuid() != 0:
        raise RuntimeError(
            "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
    installed = _bin_dir()
    if installed is None:
        raise RuntimeError("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql")
    return installed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server() -> Iterator[str]:
    """Start a cluster on a free loopback port; yield its base URL (postgresql://user@host:port)."""
    bin_dir = ensure_installed()
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
        [*prefix, str(bin_dir / "initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "postgres"],
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
            str(bin_dir / "pg_ctl"),
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
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)
