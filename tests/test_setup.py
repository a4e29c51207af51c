"""The two-command setup: `make help` documents every target, and the Python 3.10 finder fails clearly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), *args],
        capture_output=True, text=True, env=env or dict(os.environ), timeout=120,
    )  # fmt: skip


def test_help_lists_every_target_with_one_line() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, flags=re.M))
    documented = set(re.findall(r"^([a-z][a-z0-9-]*):.*## ", makefile, flags=re.M))
    assert targets == documented, f"targets without a ## description: {targets - documented}"
    result = make("help")
    assert result.returncode == 0
    listed = {line.split()[0] for line in re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines() if line.strip()}
    assert {"run", "test", "shell", "content", "pipeline", "train"} <= listed == documented


def test_finds_a_python_310_interpreter() -> None:
    result = make("find-python")
    assert result.returncode == 0, result.stderr
    found = result.stdout.strip().splitlines()[-1]
    check = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    assert check.stdout.strip() == "(3, 10)"


def test_python_variable_must_be_a_310_interpreter() -> None:
    result = make("find-python", f"PYTHON={sys.executable}x-missing")
    assert result.returncode != 0
    assert "is not a Python 3.10 interpreter" in result.stderr


def test_no_python_310_gives_a_clear_message(tmp_path: Path) -> None:
    # A PATH with only the basic tools and a HOME without pyenv: nothing that is Python 3.10 can be found.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "bash", "sh", "ls", "sort", "head", "grep", "awk", "env"):
        for folder in ("/usr/bin", "/bin"):
            if Path(folder, tool).exists():
                (bin_dir / tool).symlink_to(Path(folder, tool))
                break
    fake = bin_dir / "python3"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    result = subprocess.run(
        [str(bin_dir / "make"), "--no-print-directory", "-C", str(PROJECT_ROOT), "find-python"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    if Path("/usr/bin/python3.10").exists() or Path("/usr/local/bin/python3.10").exists():
        pytest.skip("this machine has a system-wide Python 3.10, which the finder rightly uses")
    assert result.returncode != 0
    assert "No Python 3.10 interpreter found" in result.stderr
    assert "PYTHON=/path/to/python3.10" in result.stderr
