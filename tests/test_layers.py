"""The packages' layers (#14): a package never imports one that sits above it; no module grows too long.

The content, NLP, safety and retrieval packages are the floors the service is built on; the service, the
conversation moves, the channels, the actions and the tools sit on top. An import the other way round (even
one only for type checking) would make the lower package depend on the whole bot, so it fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

ABOVE = (
    "bot.service",
    "bot.factory",
    "bot.conversation",
    "bot.suggestions",
    "bot.safety_replies",
    "bot.overview",
    "bot.channels",
    "bot.tools",
    "actions",
)
# Each lower package, with what it may never import (besides everything above the service).
LOWER = {
    "content": ("bot.nlp", "bot.retrieval"),
    "nlp": ("bot.retrieval",),
    "safety": ("bot.retrieval",),
    "retrieval": (),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(LOWER))
def test_a_lower_package_never_imports_one_above_it(package: str) -> None:
    forbidden = (*ABOVE, *LOWER[package])
    wrong = {
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in (PROJECT_ROOT / "bot" / package).rglob("*.py")
        for name in _imports(path)
        if any(name == f or name.startswith(f"{f}.") for f in forbidden)
    }
    assert not wrong, sorted(wrong)


def test_the_service_stays_small() -> None:
    """Deciding the turn is its one job (#14 point 2): loading, ranking and wording live elsewhere."""
    lines = (PROJECT_ROOT / "bot" / "service.py").read_text(encoding="utf-8").count("\n")
    assert lines < 300, f"bot/service.py has {lines} lines"


# Data tables (the safety net's phrase lists, the fixed wording in two languages) may be long; code may not.
DATA_TABLES = ("bot/safety/signals/", "bot/wording.py")


def test_no_module_is_over_400_lines_except_data_tables() -> None:
    """Each module has one job its name says (#14 point 4): a longer one is split by job."""
    long = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for folder in ("bot", "actions")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if not str(path.relative_to(PROJECT_ROOT)).startswith(DATA_TABLES)
        and (lines := path.read_text(encoding="utf-8").count("\n")) > 400
    }
    assert not long, long
