"""The package's shape: the toolkit at the top, the book's helpers apart, no import circles.

Why: a newcomer must be able to tell the toolkit a data manager runs from the code that draws
the book's figures, and a module that imports, directly or through others, a module that
imports it back cannot be read, tested or replaced on its own. The graph is read from the
source with ``ast`` (an independent reader: nothing is imported to draw it).
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"

#: Circles that exist only through imports inside functions, each waiting for its owner.
#: None is left: batch <-> scale and corpus <-> verify went with issue 19; engine <-> hooks <->
#: pixels went when the pixel package stopped importing the engine (DeidError and the VR and
#: value readers live in imgshare.dicom.errors and imgshare.dicom.elements) and started to
#: declare its hooks (imgshare.pixels.HOOKS) instead of registering them.
KNOWN_DEFERRED: list[set[str]] = []
#: Toolkit modules that still reach into imgshare.book (inside a function), to be moved.
KNOWN_BOOK_USERS = {("imgshare.nifti.compare", "imgshare.book.coords")}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "imgshare").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _targets(module: str, path: Path, node: ast.AST, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        assert isinstance(node, ast.ImportFrom)
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    out = []
    for name in names:
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known and name != module:
            out.append(name)
    return out


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _runtime_nodes(tree: ast.AST):
    """Every node, except those under ``if TYPE_CHECKING:`` (never imported when run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if _type_checking(node):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def graph(deferred: bool) -> dict[str, set[str]]:
    """Who imports whom, at module level only or also inside functions."""
    known = _modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        nodes = _runtime_nodes(tree) if deferred else iter(tree.body)
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges[module].update(_targets(module, path, node, known))
    return edges


def circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_at_module_level() -> None:
    assert circles(graph(deferred=False)) == []


def test_deferred_import_circles_are_only_the_known_ones() -> None:
    new = [c for c in circles(graph(deferred=True)) if not any(k <= c for k in KNOWN_DEFERRED)]
    assert not new, f"new import circles: {new}"


def test_the_toolkit_does_not_use_the_books_helpers() -> None:
    edges = graph(deferred=True)
    users = {
        (module, target)
        for module, targets in edges.items()
        if not module.startswith("imgshare.book")
        for target in targets
        if target.startswith("imgshare.book")
    }
    assert users <= KNOWN_BOOK_USERS, f"toolkit modules importing imgshare.book: {users}"


def test_an_import_for_type_checking_only_is_not_an_edge() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import b\nelse:\n    import c\n"
        "def f():\n    import d\n"
    )
    found = {a.name for n in _runtime_nodes(tree) if isinstance(n, ast.Import) for a in n.names}
    assert found == {"c", "d"}


def test_a_planted_circle_is_found() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
