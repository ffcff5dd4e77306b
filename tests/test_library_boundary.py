"""The library boundary: observatoire/ imports no Dagster and nothing of the code location, and
its modules import one another without a cycle, so it can be used from a notebook or a worker
process on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "observatoire"
FORBIDDEN = ("dagster", "resources", "assets", "sensors", "definitions")
"""Top-level packages the library must not import: Dagster (any dagster* distribution) and the
code location built on the library."""


def library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import of a module's source, anywhere in it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                name = f"{prefix}.{node.module}" if node.module else prefix
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # `from observatoire import settings` imports a module
                yield node.lineno, f"{name}.{alias.name}"


def forbidden(name: str) -> bool:
    top = name.split(".", 1)[0]
    return top.startswith("dagster") or top in FORBIDDEN


def test_the_library_imports_neither_dagster_nor_the_code_location() -> None:
    found = []
    for path in library_files():
        module = module_name(path)
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for line, name in imported_modules(tree, module, path.name == "__init__.py"):
            if forbidden(name) and not name.startswith("observatoire"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not found, (
        "observatoire/ is a plain library: no dagster* import and no import of resources/, "
        "assets/, sensors/ or definitions.py:\n  " + "\n  ".join(sorted(set(found)))
    )


def top_level_imports(path: Path) -> set[str]:
    """Library modules a module imports when it is imported: module-level statements only
    (imports inside functions or under `if TYPE_CHECKING:` run later or never)."""
    module = module_name(path)
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    statements: list[ast.stmt] = []
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
        elif isinstance(node, ast.If | ast.Try):
            pending.extend(node.body)
            pending.extend(node.orelse)
            pending.extend(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                pending.extend(handler.body)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            statements.append(node)
    names = set()
    for statement in statements:
        holder = ast.Module(body=[statement], type_ignores=[])
        for _, name in imported_modules(holder, module, path.name == "__init__.py"):
            names.add(name)
    return names


def test_library_modules_import_one_another_without_a_cycle() -> None:
    modules = {module_name(path): path for path in library_files()}
    graph = {
        module: sorted(
            name
            for name in top_level_imports(path)
            if name in modules and name != module and not module.startswith(f"{name}.")
        )
        for module, path in modules.items()
    }
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in graph[module]:
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles among library modules:\n  " + "\n  ".join(cycles)


IMPORT_EACH = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "observatoire" or m.startswith("observatoire.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(f"{name}:\\n{traceback.format_exc(limit=3)}")
    leaked = sorted(m for m in sys.modules if m.split(".")[0].startswith("dagster")
                    or m.split(".")[0] in ("resources", "assets", "sensors", "definitions"))
    if leaked:
        failed.append(f"{name}: importing it loaded {', '.join(leaked[:5])}")
        break
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_library_module_imports_first_in_a_fresh_interpreter() -> None:
    """Each module imported as the first library module of the interpreter, which is where an
    import cycle shows (a name taken from a module still half-initialised)."""
    modules = sorted(module_name(path) for path in library_files())
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"library modules failing to import:\n{done.stdout}{done.stderr}"
