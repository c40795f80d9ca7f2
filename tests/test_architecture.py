"""The package structure of `app/`: walk every import (top-level and inside functions) and
check the direction of the dependencies between packages (docs/architecture.md).

A package is the first component under `app` (`app.documents.services` → `documents`);
top-level modules (`app/__init__.py`, `app/models.py`, `app/views.py`, `app/demo.py`, ...)
are the wiring and are left out of the graph."""
import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# The shared kernel: imported by every domain, imports none.
KERNEL = {"core"}
# Domains that must not reach into documents/ for shared pieces.
NOT_FROM_DOCUMENTS = {"news", "schedules", "request_forms", "notifications"}

# Imports in the "wrong" direction that are genuine dependencies, each with its reason:
# (importing module, imported package). Keep this set as small as possible.
ALLOWED: set[tuple[str, str]] = {
    # The audit trail's secrecy rule (which lines to redact) must know every table that holds a
    # document or a row of one; the trail itself is below the domains (they and security record
    # into it). These are lazy imports inside the rule's queries. To remove them, each domain
    # would register its own secret-row query with the trail.
    ("app.audit.secrecy", "documents"),
    ("app.audit.secrecy", "dossiers"),
    ("app.audit.secrecy", "exchange"),
    ("app.audit.secrecy", "outgoing"),
    ("app.audit.secrecy", "copies"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path):
    """Every module `path` imports, absolute, with the line."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name, node.lineno
            for alias in node.names:  # `from app import documents`
                yield f"{name}.{alias.name}", node.lineno


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "app" or len(parts) < 2:
        return None
    return parts[1] if (APP / parts[1]).is_dir() else None


def package_graph() -> dict[str, dict[str, list[str]]]:
    """{package: {imported package: ["file:line", ...]}}"""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(APP.rglob("*.py")):
        module = _module_name(path)
        source = _package(module)
        if source is None:
            continue
        graph.setdefault(source, {})
        for name, line in _imported_modules(path):
            target = _package(name)
            if target is None or target == source or (module, target) in ALLOWED:
                continue
            where = f"{path.relative_to(APP.parent)}:{line}"
            sites = graph[source].setdefault(target, [])
            if where not in sites:
                sites.append(where)
    return graph


def _cycles(graph):
    """The strongly connected components with more than one package (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_lazy_imports():
    graph = package_graph()
    assert "core" in graph and "documents" in graph
    assert "documents" in graph["dossiers"]  # dossiers hold incoming documents: a real edge


def test_no_cycle_between_packages():
    graph = package_graph()
    report = []
    for component in _cycles(graph):
        members = set(component)
        edges = [f"  {a} -> {b}: {', '.join(graph[a][b])}"
                 for a in component for b in sorted(graph[a]) if b in members]
        report.append(" <-> ".join(component) + "\n" + "\n".join(edges))
    assert not report, "import cycles between packages:\n" + "\n".join(report)


def test_the_kernel_imports_no_domain():
    graph = package_graph()
    wrong = {f"{kernel} -> {target}: {', '.join(sites)}"
             for kernel in KERNEL for target, sites in graph.get(kernel, {}).items()
             if target not in KERNEL}
    assert not wrong, "\n".join(sorted(wrong))


def test_no_shared_pieces_from_documents():
    graph = package_graph()
    wrong = [f"{source} -> documents: {', '.join(graph[source]['documents'])}"
             for source in sorted(NOT_FROM_DOCUMENTS) if "documents" in graph.get(source, {})]
    assert not wrong, "\n".join(wrong)


def test_every_allowed_import_is_still_there():
    """An exception that is no longer needed goes: the ALLOWED set only shrinks."""
    modules = {_module_name(path): path for path in APP.rglob("*.py")}
    stale = [(module, target) for module, target in sorted(ALLOWED)
             if module not in modules
             or not any(_package(name) == target for name, _ in _imported_modules(modules[module]))]
    assert not stale, stale


def test_views_and_apis_never_commit():
    """Services own the transaction (docs/architecture.md): no web view or REST resource of
    ours commits; they call a service function, which does."""
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path.name not in ("views.py", "api.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ".commit()" in line and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(APP.parent)}:{number}")
    assert offenders == []


def _lines(pattern, paths):
    """(file:line, text) of the lines of `paths` matching `pattern` (comments left out)."""
    regex = re.compile(pattern)
    found = []
    for path in sorted(paths):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if regex.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(APP.parent)}:{number}")
    return found


def test_one_shape_of_transition():
    """Every transition table is made of app.core.workflow.Transition (one set of field
    names: new_state, may, label, note, needs_line, style)."""
    assert _lines(r"^class Transition\b", APP.rglob("*.py")) == ["app/core/workflow.py:11"]


def test_views_do_not_patch_the_models():
    """A grid's computed column is the view's `computed_columns`, not a property set on the
    model when the view is imported."""
    assert _lines(r"^[A-Z]\w*\.\w+ = (property|lambda)\b", APP.rglob("*.py")) == []


def test_one_routing_path_per_domain():
    """The web page and the REST API of a domain call one `services.act`: no channel picks
    the step by name itself."""
    channels = [p for p in APP.rglob("*.py") if p.name in ("views.py", "api.py")]
    assert _lines(r'\bif action == "|elif action == "', channels) == []


def test_dates_typed_by_people_are_read_in_one_place():
    """Dates and times from forms, JSON bodies and query strings are read by app.core.dates
    (edXML's own formats, spreadsheet cells and backup names have readers of their own)."""
    own_formats = {"dates.py", "edxml.py", "backup.py", "sheets.py"}
    paths = [p for p in APP.rglob("*.py") if p.name not in own_formats]
    assert _lines(r"\bstrptime\(", paths) == []


def test_like_patterns_are_escaped():
    """Words people type go into LIKE through contains/startswith(autoescape=True), so that
    "%" and "_" mean themselves."""
    assert _lines(r'\.like\(f"', APP.rglob("*.py")) == []


def test_domains_ask_for_permissions_not_role_names():
    """Who may do what is a permission (app.security.access.may), so that a role made in the
    permission matrix works like a built-in one. Three modules still ask whether a person is
    a (unit or agency) leader by the role's name; they are listed here so that the list can
    only shrink (README, "The permission matrix")."""
    still_by_name = {"request_forms", "schedules", "news"}
    paths = [p for p in APP.rglob("*.py")
             if p.relative_to(APP).parts[0] not in still_by_name | {"security"}
             and p.name != "demo.py"]
    assert _lines(r"\bhas_role\(|\brole_names\(|\br\.(CLERK|AGENCY_LEADER|OFFICE_LEADER|"
                  r"UNIT_LEADER|OFFICER)\b", paths) == []
