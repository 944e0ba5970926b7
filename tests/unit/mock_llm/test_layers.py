"""The package's layers, read from its source: HTTP below the engine, relative imports only.

Installed, the package is ``streamgauge.mock_llm``: an absolute ``mock_llm.`` import
inside it would resolve only in a checkout.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mock_llm

PACKAGE = Path(mock_llm.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved to ``mock_llm.``-names."""
    package = ["mock_llm", *path.parent.relative_to(PACKAGE).parts]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
                continue
            base = package[: len(package) - node.level + 1]
            found.add(".".join([*base, *([node.module] if node.module else [])]))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_inside_the_package_are_relative(path: Path) -> None:
    written: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            written.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            written.add(node.module)
    assert not {m for m in written if m.split(".")[0] in {"mock_llm", "loadtests"}}


@pytest.mark.parametrize(
    "path",
    sorted((PACKAGE / "http").glob("*.py")),
    ids=lambda p: p.name,
)
def test_the_http_layer_imports_nothing_of_the_engine_or_the_server(path: Path) -> None:
    upward = {
        m
        for m in imported_modules(path)
        if m.startswith(("mock_llm.engine", "mock_llm.server")) or m == "mock_llm"
    }
    assert not upward
