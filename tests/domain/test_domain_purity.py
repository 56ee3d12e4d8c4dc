"""The domain is pure: it imports no other part of xinyong and nothing that does I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import xinyong.domain

DOMAIN = Path(xinyong.domain.__file__).parent
ALLOWED_STDLIB = {
    "__future__",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "hashlib",
    "json",
    "math",
    "re",
    "typing",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_domain_imports_only_itself_and_pure_stdlib() -> None:
    offenders = {}
    for path in sorted(DOMAIN.glob("*.py")):
        bad = {
            name
            for name in _imports(path)
            if not name.startswith("xinyong.domain") and name.split(".")[0] not in ALLOWED_STDLIB
        }
        if bad:
            offenders[path.name] = bad
    assert offenders == {}


def test_modules_stay_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in DOMAIN.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 350} == {}
