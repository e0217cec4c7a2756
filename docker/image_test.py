"""`make image-test`: build the image with buildah, run it with podman as Compose would, and check it.

Started by docker/image-test.sh, which installs the tools (buildah, podman, debootstrap, runc,
PostgreSQL, podman-compose) and runs this with podman-compose's Python. Steps:

1. The base image. No image registry is reachable here, so a stand-in for `python:3.11-slim` is
   made once with debootstrap (Debian bookworm's Python 3.11) and its tarball cached outside the
   repository; later runs import the tarball (seconds).
2. Build with buildah (`--format docker`, which keeps the HEALTHCHECK), print the layer sizes.
3. Resolve docker-compose.yml with podman-compose after `cp .env.example .env`, in a scratch copy
   of the project, and run the `bot` service with podman from what it resolves: the same image,
   environment, named volume and read-only posts mount. Two differences, both for this machine:
   `--network host` (no container networking here) with HTTP_PORT set to a free loopback port.
4. Check: /healthz and the image's own HEALTHCHECK; the process runs as uid 10001; the database
   is in the named volume and survives removing and re-creating the container; a read-only root
   filesystem; SIGTERM stops it with exit code 0 within seconds; on PostgreSQL (started here on
   127.0.0.1) a leader and a standby, and the standby takes over when the leader is killed.

Containers and volumes carry a label and are removed at the start and at the end, so a run that
was interrupted leaves nothing that the next one trips on. Every wait is bounded and says what it
waited for. The last line reads "image-test: N passed, N failed".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(
    os.environ.get("IMAGE_TEST_CACHE") or Path.home() / ".cache" / "incoming-transmission-image-test"
)
BASE_IMAGE = "docker.io/library/python:3.11-slim"
# Bump when the stand-in's recipe changes, so that a cached tarball is made anew.
STAND_IN = "python-3.11-slim-stand-in-bookworm-1.tar"
STAND_IN_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates,netbase,tzdata"
LABEL = "incoming-transmission-image-test"
PROJECT = "itx-image-test"  # the scratch project's folder, hence Compose's project name
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
# crun cannot raise these limits here; runc with explicit limits works.
RUN_FLAGS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", "--network", "host"]
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STOP_WITHIN = 10.0  # seconds: Compose's default grace period before SIGKILL
TAKEOVER_WITHIN = 15.0
START_WITHIN = 90.0
MARKER_CHAT = "424242"


class CheckFailed(Exception):
    """A check did not hold; the message says which and what was seen."""


@dataclass
class Report:
    """Outcomes, printed as they come and counted at the end."""

    passed: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def ok(self, what: str) -> None:
        """Record and print a check that held."""
        self.passed += 1
        print(f"  ok  {what}", flush=True)

    def fail(self, what: str) -> None:
        """Record and print a check that did not hold."""
        self.failed += 1
        print(f"  FAILED  {what}", flush=True)


def say(message: str) -> None:
    """Print a step, with the time since the start."""
    print(f"[image-test {time.monotonic() - T0:6.1f}s] {message}", flush=True)


T0 = time.monotonic()


def sh(*command: str | Path, check: bool = True, timeout: float = 600, **kwargs: Any) -> str:
    """Run a command, return its stdout; on failure raise with its output."""
    args = [str(part) for part in command]
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"`{' '.join(args)}` did not finish within {timeout:g}s") from exc
    if check and result.returncode != 0:
        raise CheckFailed(
            f"`{' '.join(args)}` exited {result.returncode}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return str(result.stdout)


def podman(*args: str | Path, check: bool = True, timeout: float = 120) -> str:
    """Run podman with the flags this machine needs."""
    return sh(*PODMAN, *args, check=check, timeout=timeout)


def wait_until(what: str, limit: float, probe: Callable[[], Any], every: float = 0.25) -> Any:
    """Call `probe` until it returns something true, for at most `limit` seconds."""
    deadline = time.monotonic() + limit
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise CheckFailed(f"{what}: not within {limit:g}s (last seen: {last!r})")


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def healthz(port: int) -> dict[str, Any] | None:
    """GET /healthz on 127.0.0.1; its JSON when it answers 200, else None."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            body: dict[str, Any] = json.loads(response.read())
            return body if response.status == 200 else None
    except (OSError, urllib.error.URLError, ValueError):
        return None


# --- 1. the base image ------------------------------------------------------------------------


def apt_mirror() -> str:
    """Return the Debian mirror apt already uses (debootstrap must reach the same one)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for source in sources:
        if source.is_file():
            for uri in re.findall(r"(?:URIs:\s*|^deb\s+(?:\[[^]]*\]\s+)?)(\S+)", source.read_text(), re.M):
                if uri.rstrip("/").endswith("/debian"):
                    return str(uri)
    return "http://deb.debian.org/debian"


def ensure_base_image() -> None:
    """Import the python:3.11-slim stand-in, made once with debootstrap and cached as a tarball."""
    if _image_exists(BASE_IMAGE):
        say(f"base image {BASE_IMAGE} is present")
        return
    tarball = CACHE / STAND_IN
    if not tarball.is_file():
        say(f"making the {BASE_IMAGE} stand-in with debootstrap (once; cached as {tarball})")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE, prefix="rootfs-") as scratch:
            rootfs = Path(scratch) / "rootfs"
            sh(
                "debootstrap",
                "--variant=minbase",
                f"--include={STAND_IN_PACKAGES}",
                "bookworm",
                rootfs,
                apt_mirror(),
                timeout=900,
            )
            # python:3.11-slim has its Python in /usr/local/bin; the Dockerfile says `python`.
            for name in ("python", "python3", "python3.11"):
                (rootfs / "usr/local/bin" / name).symlink_to("/usr/bin/python3")
            for leftover in (rootfs / "var/cache/apt/archives").glob("*.deb"):
                leftover.unlink()
            shutil.rmtree(rootfs / "var/lib/apt/lists", ignore_errors=True)
            partial = tarball.with_suffix(".partial")
            sh("tar", "-C", rootfs, "-cf", partial, ".", timeout=300)
            partial.rename(tarball)
    say(f"importing {tarball.name} as {BASE_IMAGE}")
    podman(
        "import",
        "--change",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change",
        "ENV LANG=C.UTF-8",
        "--change",
        'CMD ["python3"]',
        tarball,
        BASE_IMAGE,
        timeout=300,
    )


def _image_exists(name: str) -> bool:
    return subprocess.run([*PODMAN, "image", "exists", name], capture_output=True).returncode == 0


# --- 2. the build -----------------------------------------------------------------------------


def pip_settings(work: Path) -> Path:
    """Write a pip.conf for the build's RUN steps: the host's CA bundle and package index, if set."""
    lines = ["[global]", f"cert = {CA_BUNDLE}"]
    index = os.environ.get("PIP_INDEX_URL") or _pip_config("global.index-url")
    if index.startswith(("http://", "https://")):
        lines.append(f"index-url = {index}")
    conf = work / "pip.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _pip_config(key: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def build(image: str, work: Path) -> None:
    """Build the image with buildah, as Docker would (the docker format keeps HEALTHCHECK)."""
    mounts = ["-v", f"{pip_settings(work)}:/etc/pip.conf:ro"]
    if CA_BUNDLE.is_file():
        # For RUN steps only: no layer keeps it.
        mounts += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    say(f"building {image} with buildah")
    started = time.monotonic()
    sh(
        "buildah",
        "bud",
        "--format",
        "docker",
        "--layers",
        "--isolation",
        "chroot",
        "--network",
        "host",
        *mounts,
        "-t",
        image,
        "-f",
        ROOT / "Dockerfile",
        ROOT,
        timeout=900,
    )
    say(f"built in {time.monotonic() - started:.0f}s; layers (newest first):")
    for layer in json.loads(podman("history", "--format", "json", image)):
        if layer["size"]:
            created = re.sub(r"^/bin/sh -c (#\(nop\) )?", "", layer["CreatedBy"])
            print(f"      {layer['size'] / 1e6:8.1f} MB  {created[:90]}")
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).strip())
    print(f"      {size / 1e6:8.1f} MB  in all")


# --- 3. Compose's view of the bot service ------------------------------------------------------


@dataclass
class Service:
    """What Compose would run for the `bot` service: image, environment and volumes."""

    image: str
    env: dict[str, str]
    named_volumes: dict[str, str]  # Compose's volume name -> mount point
    binds: list[str]


def compose_service(project: Path, dotenv: str) -> Service:
    """Resolve docker-compose.yml with `.env` = `dotenv`, as `docker compose up` would."""
    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "docker-compose.yml", project / "docker-compose.yml")
    (project / ".env").write_text(dotenv)
    if not (project / "posts").exists():
        shutil.copytree(ROOT / "posts", project / "posts")
    # A clean environment: only .env may feed Compose's `${…}`, as on a fresh shell.
    clean = {"PATH": os.environ["PATH"], "HOME": str(project), "LANG": "C.UTF-8"}
    tools = Path(sys.executable).parent
    resolved = sh(tools / "podman-compose", "config", cwd=project, env=clean, timeout=60)
    bot = yaml.safe_load(resolved)["services"]["bot"]
    env: dict[str, str] = {}
    for entry in bot.get("env_file", []):
        path, required = (
            (entry, True) if isinstance(entry, str) else (entry["path"], entry.get("required", True))
        )
        file = project / path
        if file.is_file():
            env.update(read_env_file(file.read_text()))
        elif required:
            raise CheckFailed(f"env_file {path} is required and missing")
    environment = bot.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    env.update({key: "" if value is None else str(value) for key, value in environment.items()})
    named: dict[str, str] = {}
    binds: list[str] = []
    for volume in bot.get("volumes", []):
        source, target, *mode = volume.split(":")
        if source.startswith((".", "/")):
            binds.append(":".join([str((project / source).resolve()), target, *mode]))
        else:
            named[f"{PROJECT}_{source}"] = target
    return Service(bot["image"], env, named, binds)


def read_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines, as Compose reads an env_file; comments and blank lines skipped."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip().strip("'\"")
    return env


@dataclass
class Container:
    """One container of the bot service, reachable on 127.0.0.1:port."""

    name: str
    port: int

    def logs(self, tail: int = 40) -> str:
        """Return the container's last log lines."""
        result = subprocess.run(
            [*PODMAN, "logs", "--tail", str(tail), self.name], capture_output=True, text=True
        )
        return result.stdout + result.stderr

    def inspect(self, template: str) -> str:
        """`podman inspect --format template`."""
        return podman("inspect", "--format", template, self.name).strip()

    def exec(self, *command: str, timeout: float = 120) -> str:
        """Run a command inside, as the image's user."""
        return podman("exec", self.name, *command, timeout=timeout)

    def healthy(self, role: str = "leader", limit: float = START_WITHIN) -> dict[str, Any]:
        """Wait for /healthz to answer 200 with this role."""

        def probe() -> dict[str, Any] | None:
            if self.inspect("{{.State.Running}}") != "true":
                raise CheckFailed(f"{self.name} exited ({self.inspect('{{.State.ExitCode}}')})")
            body = healthz(self.port)
            return body if body and body.get("role") == role else None

        result: dict[str, Any] = wait_until(f"{self.name}: /healthz ok as {role}", limit, probe)
        return result

    def stop_with_sigterm(self) -> tuple[int, float]:
        """Send SIGTERM; return the exit code and the seconds it took to stop."""
        started = time.monotonic()
        podman("kill", "--signal", "TERM", self.name)
        code = podman("wait", self.name, timeout=STOP_WITHIN + 20).strip()
        return int(code), time.monotonic() - started


def _uids(pid: str) -> set[str]:
    """Return the uids of a host process (real, effective, saved, file system)."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^Uid:\s+(.+)$", status, re.MULTILINE)
    return set(found[1].split()) if found else set()


def run_container(
    service: Service, name: str, *, extra_env: dict[str, str] | None = None, flags: tuple[str, ...] = ()
) -> Container:
    """`podman run -d` the bot service as Compose would, on host networking and a free port."""
    port = free_port()
    env = {**service.env, **(extra_env or {}), "HTTP_PORT": str(port), "HTTP_HOST": "127.0.0.1"}
    args = ["run", "-d", "--name", name, "--label", LABEL, *RUN_FLAGS, *flags]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    for volume, target in service.named_volumes.items():
        args += ["-v", f"{volume}:{target}"]
    for bind in service.binds:
        args += ["-v", bind]
    podman(*args, service.image)
    return Container(name, port)


def cleanup() -> None:
    """Remove every container and volume an image test made, this run's or an earlier one's."""
    for kind in ("container", "volume"):
        listed = subprocess.run(
            [*PODMAN, kind, "ls", "-q", "--filter", f"label={LABEL}"], capture_output=True, text=True
        ).stdout.split()
        if listed:
            flag = ["-f", "-t", "0"] if kind == "container" else ["-f"]
            subprocess.run([*PODMAN, kind, "rm", *flag, *listed], capture_output=True)


# --- 4. the checks ----------------------------------------------------------------------------


def check(report: Report, what: str, condition: bool, detail: str = "") -> None:
    """Record one check; a failed one stops the run (later checks build on it)."""
    if not condition:
        report.fail(what)
        raise CheckFailed(f"{what}: {detail}" if detail else what)
    report.ok(what)


def check_sqlite(report: Report, service: Service) -> None:
    """Check the compose service as is: health, user, database in the volume, SIGTERM, re-created."""
    check(
        report,
        "compose keeps SQLite in the volume with .env from .env.example",
        service.env.get("DATABASE_URL") == "sqlite:////data/bot.db",
        f"DATABASE_URL resolves to {service.env.get('DATABASE_URL')!r}",
    )
    for volume in service.named_volumes:
        podman("volume", "create", "--label", LABEL, volume)
    (volume,) = [v for v, target in service.named_volumes.items() if target == "/data"]
    first = run_container(service, f"{PROJECT}-bot-1")
    say(f"{first.name}: started as compose would; waiting for /healthz")
    body = first.healthy()
    report.ok(f"/healthz answers {body}")
    health = subprocess.run([*PODMAN, "healthcheck", "run", first.name], capture_output=True, text=True)
    check(report, "the image's HEALTHCHECK is kept and passes", health.returncode == 0, health.stderr)

    uids = {pid: _uids(pid) for pid in podman("top", first.name, "hpid").split()[1:]}
    check(
        report,
        f"every process in the container runs as uid 10001, none as root ({len(uids)} processes)",
        bool(uids) and all(found == {"10001"} for found in uids.values()),
        f"real, effective, saved and file-system uids by host pid: {uids}",
    )

    mountpoint = Path(podman("volume", "inspect", "--format", "{{.Mountpoint}}", volume).strip())
    check(
        report,
        f"the database is in the named volume ({volume}:/data/bot.db)",
        (mountpoint / "bot.db").is_file(),
        f"{mountpoint} holds {sorted(p.name for p in mountpoint.iterdir())}",
    )
    first.exec(
        "python", "-m", "bot", "destinations", "add", "--platform", "telegram", "--chat-id", MARKER_CHAT
    )

    code, seconds = first.stop_with_sigterm()
    check(
        report,
        f"SIGTERM stops it cleanly (exit {code} in {seconds:.1f}s)",
        code == 0 and seconds < STOP_WITHIN,
        first.logs(),
    )
    podman("rm", first.name)

    second = run_container(service, f"{PROJECT}-bot-2", flags=("--read-only", "--read-only-tmpfs=false"))
    say(f"{second.name}: re-created on the same volume, read-only root filesystem")
    second.healthy()
    report.ok("starts and answers /healthz with a read-only root filesystem")
    listed = second.exec("python", "-m", "bot", "destinations", "list", "--json")
    check(
        report, "the database survived removing and re-creating the container", MARKER_CHAT in listed, listed
    )
    write = subprocess.run([*PODMAN, "exec", second.name, "touch", "/home/bot/x"], capture_output=True)
    check(report, "the root filesystem is really read-only", write.returncode != 0)
    code, seconds = second.stop_with_sigterm()
    check(
        report,
        f"SIGTERM stops the read-only one cleanly (exit {code} in {seconds:.1f}s)",
        code == 0 and seconds < STOP_WITHIN,
        second.logs(),
    )
    podman("rm", second.name)


@contextlib.contextmanager
def postgres_on_loopback() -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster on 127.0.0.1, as the postgres user; yield the bot's URL."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise CheckFailed("no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)")
    bin_dir = versions[-1].parent
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="itx-image-test-pg-"))
    shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    try:
        sh(*as_postgres, bin_dir / "initdb", "-D", data / "db", "--auth=trust", "-U", "postgres", timeout=120)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off"
        sh(
            *as_postgres,
            bin_dir / "pg_ctl",
            "-D",
            data / "db",
            "-l",
            data / "log",
            "-o",
            options,
            "-w",
            "start",
            timeout=60,
        )
        sh(*as_postgres, bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(port), "bot", timeout=30)
        say(f"PostgreSQL {bin_dir.parts[-2]} on 127.0.0.1:{port}")
        yield f"postgresql://postgres@127.0.0.1:{port}/bot"
    finally:
        subprocess.run(
            [*as_postgres, bin_dir / "pg_ctl", "-D", data / "db", "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


def check_replicas(report: Report, project: Path, dotenv: str) -> None:
    """Two replicas on PostgreSQL: one leads, one stands by and takes over when the leader is killed."""
    with postgres_on_loopback() as url:
        service = compose_service(project, dotenv + f"\nDATABASE_URL={url}\n")
        check(
            report,
            "compose passes DATABASE_URL from .env through",
            service.env["DATABASE_URL"] == url,
            service.env["DATABASE_URL"],
        )
        leader = run_container(service, f"{PROJECT}-replica-1")
        leader.healthy("leader")
        report.ok(f"{leader.name} leads on PostgreSQL")
        standby = run_container(service, f"{PROJECT}-replica-2")
        standby.healthy("standby")
        wait_until(
            f"{standby.name} logs that it stands by",
            30,
            lambda: "standby: " in standby.logs() and "is the leader" in standby.logs(),
        )
        report.ok(f"{standby.name} stands by")
        killed = time.monotonic()
        podman("kill", "--signal", "KILL", leader.name)
        standby.healthy("leader", TAKEOVER_WITHIN)
        report.ok(f"the standby took over {time.monotonic() - killed:.1f}s after the leader was killed")
        code, seconds = standby.stop_with_sigterm()
        check(
            report,
            f"SIGTERM stops the new leader cleanly (exit {code} in {seconds:.1f}s)",
            code == 0 and seconds < STOP_WITHIN,
            standby.logs(),
        )


def main() -> int:
    """Run every step; print what failed with the containers' logs; always clean up."""
    report = Report()
    # A SIGTERM (a CI time limit, say) unwinds like Ctrl-C: PostgreSQL stops, containers go.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cleanup()
    try:
        with tempfile.TemporaryDirectory(prefix="itx-image-test-") as scratch:
            work = Path(scratch)
            project = work / PROJECT
            dotenv = (ROOT / ".env.example").read_text()  # cp .env.example .env
            service = compose_service(project, dotenv)
            ensure_base_image()
            build(service.image, work)
            say("SQLite, as `cp .env.example .env; docker compose up` would run it")
            check_sqlite(report, service)
            say("PostgreSQL with two replicas")
            check_replicas(report, project, dotenv)
    except CheckFailed as failure:
        if not report.failed:
            report.fail(str(failure).splitlines()[0])
        print(f"\nimage-test failed: {failure}", file=sys.stderr)
        listed = subprocess.run(
            [*PODMAN, "ps", "-a", "--format", "{{.Names}}", "--filter", f"label={LABEL}"],
            capture_output=True,
            text=True,
        )
        for name in listed.stdout.split():
            print(f"\n--- last log lines of {name} ---\n{Container(name, 0).logs()}", file=sys.stderr)
    finally:
        cleanup()
    say(f"done in {time.monotonic() - report.started:.0f}s")
    print(f"image-test: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
