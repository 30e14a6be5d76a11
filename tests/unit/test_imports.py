"""The import graph of analytics/ and the page layer, read from the source (issue 16).

- analytics/ never imports streamlit or the page layer (it is usable from the command line);
- analytics/ has no import circle, counting imports inside functions too;
- private Streamlit modules (anything below ``streamlit.``) are imported by one module only,
  pages/_runtime.py, so a Streamlit upgrade that moves them breaks in one place;
- nothing in analytics/ imports upward: each part imports only the layers below it (the
  capability packages never import each other), and a package's modules import their siblings,
  never their own package's face (``__init__``).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = "pages._runtime"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, as absolute names."""
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


def project_files() -> list[Path]:
    return [
        *sorted((ROOT / "analytics").rglob("*.py")),
        *sorted((ROOT / "pages").rglob("*.py")),
        ROOT / "app.py",
    ]


GRAPH = {module_name(path): imports_of(path) for path in project_files()}


def test_analytics_never_imports_streamlit_or_the_pages():
    for module, imported in GRAPH.items():
        if module.startswith("analytics"):
            bad = sorted(i for i in imported if i.split(".")[0] in ("streamlit", "pages"))
            assert not bad, f"{module} imports {bad}"


def test_analytics_has_no_import_circle():
    modules = {m for m in GRAPH if m.startswith("analytics")}
    # A package's own modules import names from their package's __init__, which re-exports
    # them: the edge from an __init__ to its modules is the package's face, not a circle.
    edges = {
        module: {i for i in GRAPH[module] if i in modules and i != module} for module in modules
    }
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as circle:
        raise AssertionError(f"import circle: {' -> '.join(circle.args[1])}") from None


#: The layers of analytics/, bottom first: a part imports only parts of lower layers (and its own
#: package's modules). The four capability packages share a layer, so none imports another.
LAYERS = {
    "errors": 0,
    "i18n": 0,
    "params": 1,
    "results": 1,
    "budget": 1,
    "threads": 1,
    "display": 1,
    "jobs": 2,
    "data": 2,
    "overview": 3,
    "plots": 4,
    "segments": 5,
    "baskets": 5,
    "forecast": 5,
    "propensity": 5,
    "campaigns": 5,
    "mix": 5,
    "monitor": 5,  # builds on data alone: live tables, expected bands, alerts
    "lifetime": 6,  # builds on the segments' RFM (segment migration)
    "engines": 7,  # large sources: the results of overview, segments, forecast, baskets, lifetime
    "report": 7,
    "__main__": 8,
}


def _part(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def test_every_part_of_analytics_has_a_layer():
    parts = {_part(m) for m in GRAPH if m.startswith("analytics.")}
    assert parts == set(LAYERS), parts ^ set(LAYERS)


def test_nothing_in_analytics_imports_upward_or_sideways():
    for module, imported in GRAPH.items():
        if not module.startswith("analytics."):
            continue
        own = _part(module)
        for name in imported:
            if not name.startswith("analytics.") or _part(name) == own:
                continue
            assert LAYERS[_part(name)] < LAYERS[own], f"{module} imports {name}"


def test_modules_of_a_package_import_their_siblings_not_the_package_face():
    packages = {p.parent.name for p in (ROOT / "analytics").glob("*/__init__.py")}
    assert packages == {
        "data",
        "segments",
        "baskets",
        "forecast",
        "propensity",
        "lifetime",
        "campaigns",
        "mix",
        "monitor",
        "engines",
        "report",
    }
    for module, imported in GRAPH.items():
        if module.count(".") == 2 and _part(module) in packages:
            face = f"analytics.{_part(module)}"
            assert face not in imported, f"{module} imports its own package's face"


def test_private_streamlit_modules_are_touched_in_one_module_only():
    touching = sorted(
        module
        for module, imported in GRAPH.items()
        if any(i.startswith("streamlit.") for i in imported)
    )
    assert touching == [RUNTIME], touching


def test_the_checks_see_the_imports_they_look_for():
    """The parser finds what it must: Streamlit's private modules in pages/_runtime.py."""
    assert "streamlit.runtime.pages_manager" in GRAPH[RUNTIME]
    assert "analytics.errors" in GRAPH["analytics.data.io"]
