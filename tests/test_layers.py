"""The packages of bot/ form layers: each imports only its own layer and the layers below it,
and no modules import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
# Lowest first. analysis and corpus are independent of each other; storage holds the string
# tables the index is made of; the snapshot is a store and an index built together; the query
# log records what search answered, and presentation shows both, in the words of the message
# catalog (i18n); observability (metrics, health, logs) knows none of them, only what the
# Discord layer hands it; cluster shares the machine between bot processes (IDENTIFY turns,
# the supervisor, which starts them as commands); the Discord layer is a shell over all of them.
LAYERS = (
    "corpus",
    "analysis",
    "storage",
    "index",
    "snapshot",
    "search",
    "querylog",
    "i18n",
    "present",
    "observability",
    "cluster",
    "discord_bot",
    "cli",
)
# Beside the layers: settings, which every shell and the service loader read.
BESIDE = frozenset({"config"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(BOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every ``bot`` module ``path`` imports, at the top or inside a function."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "bot" or name.startswith("bot.")}


def layer_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in BOT.rglob("*.py")}


def test_every_layer_is_a_package() -> None:
    assert [layer for layer in LAYERS if not (BOT / layer / "__init__.py").is_file()] == []


# cli is the top: it may start anything, the Discord bot and evaluation too.
@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) | BESIDE
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items()
        if layer_of(name) == layer
        for target in imported_modules(path)
        if target != "bot" and layer_of(target) not in allowed
    )
    assert wrong == []


def test_no_import_cycle_among_the_layers() -> None:
    known = {name: path for name, path in modules().items() if layer_of(name) in LAYERS}

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {owner(target) for target in imported_modules(path)}
        graph[name] = {
            target
            for target in targets
            if target
            and target != name
            and not target.startswith(name + ".")
            and not name.startswith(target + ".")
        }

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for target in graph[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    assert sorted(name for name in graph if name in reachable(name)) == []
