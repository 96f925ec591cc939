"""The shape of the product's imports (docs/architecture.md): no cycle between modules, and the
apps depend one way only, accounts ← cms ← lms ← cohorts ← rooms.

Every module of the product packages is read with `ast` (nothing is imported). An import names
its target module: `from a.b import c` is `a.b.c` when that is a module, else `a.b`; importing a
module also runs its packages' `__init__`, so the packages on the way count too (except the
importer's own, which are already running).

- Cycles are looked for among module-level imports: those run when the module is first imported,
  and a cycle among them is what makes the order of imports matter. A function-local import runs
  later, once every module is loaded; it must not be used to hide a cycle that can be broken.
- The direction rule counts every import, function-local ones included: a lower app reaches a
  higher one only through a hook the lower app defines (`wagtail.hooks.get_hooks`).
"""

import ast
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCT = ("accounts", "cms", "lms", "cohorts", "rooms", "config")
# app: the apps it must never import. config is the composition root: it may import every app.
# Cycles that go through a function-local import. None may be added; the one left is inside cms
# (a page model calls the access gate, which reads a page model) and is for cms to break: remove
# it from this list when it goes.
KNOWN_CYCLES_THROUGH_LOCAL_IMPORTS = [["cms.access", "cms.models", "cms.access"]]
FORBIDDEN = {
    "accounts": {"cms", "lms", "cohorts", "rooms"},
    "cms": {"lms", "cohorts", "rooms"},
    "lms": {"cohorts", "rooms"},
    "cohorts": {"rooms"},
}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    module_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(BASE_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PRODUCT
        for path in sorted((BASE_DIR / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _imported_names(node, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from the importer's package, one level up per extra dot
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def _targets(names: list[str], modules: dict[str, Path], importer: str) -> set[str]:
    """The product modules these names make Python run: each module named, and its packages."""
    found = set()
    for name in names:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if candidate in modules and not (importer == candidate or importer.startswith(candidate + ".")):
                found.add(candidate)
    return found


def _walk(tree: ast.AST, module_level: bool = True):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, module_level
        inner = module_level and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _walk(node, inner)


def product_imports() -> list[Import]:
    modules = product_modules()
    imports = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, module_level in _walk(tree):
            names = _imported_names(node, module, path.name == "__init__.py")
            for target in sorted(_targets(names, modules, module)):
                imports.append(Import(module, target, node.lineno, module_level))
    return imports


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """One cycle (as a path a → b → … → a) per strongly connected group of modules (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in imports:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    start = min(group)
    paths = [[start]]
    while paths:  # breadth first: the shortest way back to the start
        path = paths.pop(0)
        for nxt in sorted(graph[path[-1]] & group):
            if nxt == start:
                return path + [start]
            if nxt not in path:
                paths.append(path + [nxt])
    return [start, start]


def direction_violations(imports: list[Import]) -> list[Import]:
    return [
        edge for edge in imports
        if edge.target.split(".")[0] in FORBIDDEN.get(edge.source.split(".")[0], set())
    ]


def _describe(edge: Import) -> str:
    where = "module level" if edge.module_level else "inside a function"
    return f"{edge.source} (line {edge.line}, {where}) imports {edge.target}"


def test_no_import_cycle_between_product_modules():
    cycles = import_cycles([edge for edge in product_imports() if edge.module_level])
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in cycles)


def test_no_new_cycle_hides_behind_a_function_local_import():
    cycles = import_cycles(product_imports())
    assert cycles == KNOWN_CYCLES_THROUGH_LOCAL_IMPORTS, "import cycles, local imports included:\n" + "\n".join(
        " → ".join(cycle) for cycle in cycles
    )


def test_apps_import_only_the_apps_below_them():
    violations = direction_violations(product_imports())
    assert not violations, "\n".join(_describe(edge) for edge in violations)


def test_the_walk_sees_module_level_local_and_relative_imports():
    """The two rules above can fail: the reader finds each kind of import they rely on."""
    imports = product_imports()
    edges = {(edge.source, edge.target, edge.module_level) for edge in imports}
    assert ("rooms.selectors", "cohorts.selectors", True) in edges
    assert any(not edge.module_level for edge in imports)
    cycle = import_cycles([Import("a", "b", 1, True), Import("b", "c", 1, True), Import("c", "a", 1, True)])
    assert cycle == [["a", "b", "c", "a"]]
    assert direction_violations([Import("cohorts.views", "rooms.models", 3, False)])
    assert _imported_names(ast.parse("from .. import models").body[0], "rooms.migrations.x", False) == [
        "rooms", "rooms.models"
    ]


CSV_WRITER_HOME = "config.csv_export"  # neutralises every cell against formula injection


def _csv_writer_uses(source: str) -> list[int]:
    """Lines where `csv.writer`/`csv.DictWriter` is reached, as an attribute or imported by name."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in {"writer", "DictWriter"} and (
            isinstance(node.value, ast.Name) and node.value.id == "csv"
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.ImportFrom) and node.module == "csv" and any(
            alias.name in {"writer", "DictWriter"} for alias in node.names
        ):
            lines.append(node.lineno)
    return lines


def test_every_csv_the_platform_writes_goes_through_the_one_neutralising_helper():
    elsewhere = {
        name: lines
        for name, path in product_modules().items()
        if name != CSV_WRITER_HOME and (lines := _csv_writer_uses(path.read_text(encoding="utf-8")))
    }
    assert not elsewhere, f"csv.writer outside {CSV_WRITER_HOME} (use its csv_response): {elsewhere}"
    assert _csv_writer_uses(product_modules()[CSV_WRITER_HOME].read_text(encoding="utf-8"))
    assert _csv_writer_uses("import csv\nw = csv.writer(f)\n") == [2]
    assert _csv_writer_uses("from csv import DictWriter\n") == [1]
