"""The shape ARCHITECTURE.md promises, read from the source: layers, one write path, a thin CLI."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO

PACKAGE = REPO / "ke_papers"
#: The storage: the index of a bib file, and the one write path.
STORAGE = ("index", "store")

#: Lower layers first; a module may import only from its own layer or the ones before it.
LAYERS = [
    {"errors", "latex", "names", "keys", "venues", "urls", "fields", "identity", "model", "bibtex"},
    {"files", "config", "outputs", "taxonomy", "entries", "texrefs", "publications"},
    {"bibread", "index", "search", "similarity", "store"},
    {"catalog", "library", "lint"},
    {
        "sources",
        "sources.http",
        "sources.arxiv",
        "sources.dblp",
        "sources.s2",
        "sources.links",
        "sources.mdentry",
        "sources.markdown",
        "sources.bibfile",
    },
    {
        "render",
        "render.terminal",
        "render.markdown",
        "render.cite",
        "render.tabular",
        "render.formats",
        "render.findings",
        "render.html",
        "render.candidates",
    },
    {
        "usecases",
        "usecases.reading",
        "usecases.searching",
        "usecases.exporting",
        "usecases.citing",
        "usecases.adding",
        "usecases.updating",
        "usecases.publishing",
        "usecases.checking",
        "usecases.importing",
        "usecases.linting",
        "usecases.formatting",
        "usecases.editing",
        "usecases.discovering",
    },
    {"cli", "__main__"},
]
LAYER_OF = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        name = name.removesuffix(".__init__") if name != "__init__" else ""
        if name:
            out[name] = ast.parse(path.read_text("utf-8"))
    return out


def imports(tree: ast.Module) -> set[str]:
    """Every ke_papers module imported anywhere in the file (inside functions too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ke_papers"):
            base = node.module.removeprefix("ke_papers").lstrip(".")
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                found.add(full if full in LAYER_OF else base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ke_papers."):
                    found.add(alias.name.removeprefix("ke_papers."))
    return found - {""}


def test_every_module_has_a_layer():
    assert set(modules()) == set(LAYER_OF)


@pytest.mark.parametrize("name", sorted(LAYER_OF))
def test_imports_point_down(name: str):
    upward = {
        other for other in imports(modules()[name]) if LAYER_OF.get(other, -1) > LAYER_OF[name]
    }
    assert upward == set(), f"{name} imports from a layer above it"


def test_no_renderer_below_render_and_no_store_in_render_or_cli():
    found = modules()
    for name in ("library", "store", "model", "catalog"):
        assert not {m for m in imports(found[name]) if m.startswith("render")}, name
    for name in [n for n in found if n.startswith("render")] + ["cli"]:
        assert "store" not in imports(found[name]), name


def _calls_os_replace(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and node.attr in ("replace", "rename")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        for node in ast.walk(tree)
    )


def test_one_module_replaces_files():
    assert [n for n, tree in modules().items() if _calls_os_replace(tree)] == ["files"]


def test_cli_functions_are_short_and_write_no_file():
    tree = modules()["cli"]
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                first = node.body[1] if len(node.body) > 1 else first  # after the docstring
            length = node.end_lineno - first.lineno + 1
            assert length <= 40, f"cli.{node.name} has a body of {length} lines"
    source = (PACKAGE / "cli.py").read_text("utf-8")
    for writing in ("write_text", "write_bytes", "open(", "write_atomic"):
        assert writing not in source


def test_nothing_below_the_cli_prints_or_exits():
    for name, tree in modules().items():
        if name in ("cli", "__main__"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "exit"), f"{name} calls {node.func.id}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) not in (("sys", "exit"), ("typer", "echo")), name


def test_architecture_md_names_every_module():
    text = (REPO / "ARCHITECTURE.md").read_text("utf-8")
    missing = [n for n in LAYER_OF if n not in ("__main__",) and n.split(".")[-1] not in text]
    assert missing == []


def test_no_home_made_machinery_and_no_private_names_of_dependencies():
    """The index is SQLite; parallel parsing is concurrent.futures; typer is used through
    its public API."""
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text("utf-8")
        for banned in (
            "os.fork",
            "memfd_create",
            "marshal",
            "gc.freeze",
            "typer._",
            "typer.main._",
        ):
            assert banned not in source, f"{path.name} uses {banned}"
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("typer"):
                assert not any(a.name.startswith("_") for a in node.names), path.name
                assert not any(part.startswith("_") for part in node.module.split(".")), path.name


def test_the_storage_stays_small():
    """The index and the write path, the part of the house everything stands on, stay
    within 1,200 lines (the home-made engine they replaced took 2,407)."""
    lines = sum(len((PACKAGE / f"{n}.py").read_text("utf-8").splitlines()) for n in STORAGE)
    assert lines <= 1200, f"index.py and store.py hold {lines} lines"
