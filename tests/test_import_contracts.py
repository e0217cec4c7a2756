"""The import contracts in pyproject.toml (run by `make lint`) pass, and fail on a wrong import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts on a copy of the package; in its folder, `bot` is the copy."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(tree / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.process
def test_the_contracts_hold_and_break_on_an_upward_import(tmp_path):
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    kept = lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    models = tmp_path / "bot" / "content" / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + "\nimport bot.store  # deliberately wrong\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "bot.content imports nothing else of the bot BROKEN" in broken.stdout
    assert "bot.content.models -> bot.store" in broken.stdout
