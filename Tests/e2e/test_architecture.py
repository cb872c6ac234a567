"""The module graph of Package.swift runs downward (issue 21).

`swift package dump-package` gives the targets and their dependencies as JSON. The layers,
top to bottom, are written once, in the ```layers block of docs/architecture.md; this test
fails when a dependency goes up a layer, when the graph has a cycle, when a target or a
package product is in no layer, or when the graph drawn in that file (its ```mermaid block)
is not the graph of Package.swift. Test targets (type "test") are the top layer, always.
It also fails when a target's sources import a module of this package, or a package product,
that the target does not declare as a dependency of its own. Needs no running stack."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

from .support import ROOT

DOC = ROOT / "docs" / "architecture.md"
TESTS_LAYER = "tests"


def dump_package() -> dict:
    """Package.swift as JSON. Run on a copy, so that it never waits for a build's lock."""
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "Package.swift", tmp)
        out = subprocess.run([swift, "package", "--package-path", tmp, "dump-package"], capture_output=True,
                             text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def dependency_name(dependency: dict) -> str:
    """A target's dependency as the layers name it: a target by its name, a product by its own."""
    for kind in ("byName", "target", "product"):
        if kind in dependency:
            return dependency[kind][0]
    raise AssertionError(f"unknown dependency form {dependency}")


def package_graph(package: dict) -> tuple[dict[str, set[str]], set[str]]:
    """{target: its dependencies} for every target, and the names of the test targets."""
    graph = {t["name"]: {dependency_name(d) for d in t["dependencies"]} for t in package["targets"]}
    tests = {t["name"] for t in package["targets"] if t["type"] == "test"}
    return graph, tests


def fenced_block(text: str, info: str) -> str:
    blocks = re.findall(rf"^```{info}\n(.*?)^```", text, flags=re.M | re.S)
    assert len(blocks) == 1, f"docs/architecture.md must have one ```{info} block"
    return blocks[0]


def read_layers(text: str) -> list[tuple[str, list[str]]]:
    """[(layer, [module, …])], top to bottom, from lines `name: Module Module …`."""
    layers = []
    for line in fenced_block(text, "layers").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, modules = line.partition(":")
            layers.append((name.strip(), modules.split()))
    return layers


def read_mermaid_edges(text: str) -> set[tuple[str, str]]:
    edges = set()
    for line in fenced_block(text, "mermaid").splitlines():
        match = re.fullmatch(r"\s*(\w+)\s*-->\s*(\w+)\s*", line)
        if match:
            edges.add((match[1], match[2]))
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, …, a], or None. Depth-first, colouring nodes."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_violations(graph: dict[str, set[str]], rank: dict[str, int]) -> list[str]:
    """Edges from a lower layer to a higher one (rank 0 is the top); same-layer edges pass."""
    return sorted(f"{a} -> {b}" for a, deps in graph.items() for b in deps if rank[a] > rank[b])


def ranks(layers: list[tuple[str, list[str]]], tests: set[str]) -> dict[str, int]:
    rank: dict[str, int] = {}
    for i, (_, modules) in enumerate(layers):
        for module in modules:
            assert module not in rank, f"{module} is in two layers"
            rank[module] = i
    assert layers[0][0] == TESTS_LAYER, "the top layer is the tests'"
    for name in tests:
        rank.setdefault(name, 0)
    return rank


# ---- the package as it is -------------------------------------------------------------

def test_the_module_graph_runs_downward_without_cycles():
    graph, tests = package_graph(dump_package())
    layers = read_layers(DOC.read_text(encoding="utf-8"))
    rank = ranks(layers, tests)
    named = set(graph) | {d for deps in graph.values() for d in deps}
    unplaced = sorted(named - set(rank))
    assert not unplaced, f"in no layer of docs/architecture.md (```layers): {unplaced}"
    stale = sorted(set(rank) - named)
    assert not stale, f"layers name modules Package.swift does not have: {stale}"
    assert find_cycle(graph) is None, f"a cycle: {' -> '.join(find_cycle(graph))}"
    assert layer_violations(graph, rank) == [], "upward edges (layers in docs/architecture.md)"


def test_the_drawn_graph_is_the_graph_of_package_swift():
    dumped = dump_package()
    graph, tests = package_graph(dumped)
    package = {t["name"]: t for t in dumped["targets"]}
    drawn = read_mermaid_edges(DOC.read_text(encoding="utf-8"))
    # The drawing leaves out the tests and their support target (under Tests/).
    shown = {(a, b) for a, deps in graph.items() for b in deps
             if a not in tests and not (package[a].get("path") or "").startswith("Tests/")}
    assert drawn == shown, f"missing from the drawing: {sorted(shown - drawn)}; not in Package.swift: {sorted(drawn - shown)}"


# Modules that come with the toolchain: never a dependency in Package.swift.
TOOLCHAIN_MODULES = {
    "Swift", "Foundation", "FoundationEssentials", "FoundationInternationalization", "FoundationNetworking",
    "FoundationXML", "CoreFoundation", "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization", "Observation",
    "RegexBuilder", "Distributed", "Testing", "XCTest", "_Concurrency", "_StringProcessing", "SwiftShims",
}

IMPORT = re.compile(
    r"^[ \t]*(?:@\w+(?:\([^)]*\))?[ \t]+)*import[ \t]+"
    r"(?:(?:typealias|struct|class|enum|protocol|let|var|func)[ \t]+)?(\w+)", re.M)


def imported_modules(text: str) -> set[str]:
    """The modules a Swift file imports: `import X`, `@testable import X`, `@_exported import X`,
    `import struct X.Y`, … (a line comment or a block comment is not an import)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return set(IMPORT.findall(text))


def target_sources(target: dict):
    """The Swift files of a target: under its `path`, or the conventional directory."""
    if target.get("path"):
        directory = ROOT / target["path"]
    else:
        directory = ROOT / ("Tests" if target["type"] == "test" else "Sources") / target["name"]
    assert directory.is_dir(), f"no sources for {target['name']} at {directory}"
    return sorted(directory.rglob("*.swift"))


def undeclared_imports(package: dict, sources=target_sources,
                       read=lambda path: path.read_text(encoding="utf-8")) -> list[str]:
    """`target: file imports X` for each import of a module of this package (a target) or a
    product of a package it uses that the target does not declare; and for an import of a
    module that is neither these nor the toolchain's."""
    targets = {t["name"] for t in package["targets"]}
    products = {d["product"][0] for t in package["targets"] for d in t["dependencies"] if "product" in d}
    problems = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        declared = {dependency_name(d) for d in target["dependencies"]}
        for path in sources(target):
            for module in sorted(imported_modules(read(path))):
                where = f"{target['name']}: {path.relative_to(ROOT)} imports {module}"
                if module == target["name"] or module in TOOLCHAIN_MODULES:
                    continue
                if module not in targets and module not in products:
                    problems.append(f"{where}, a module of no target, product or the toolchain")
                elif module not in declared:
                    problems.append(f"{where}, not a declared dependency")
    return problems


def test_every_import_is_a_declared_dependency():
    problems = undeclared_imports(dump_package())
    assert problems == [], "imports not declared in Package.swift:\n" + "\n".join(problems)


# ---- the checks themselves, on made-up graphs --------------------------------------------

def test_a_cycle_is_found_in_a_synthetic_graph():
    graph = {"App": {"Features"}, "Features": {"Jobs", "Web"}, "Jobs": {"Features"}, "Web": set()}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"Features", "Jobs"}
    assert find_cycle({"A": {"B"}, "B": {"C"}, "C": {"A"}}) == ["A", "B", "C", "A"]
    assert find_cycle({"A": {"A"}}) == ["A", "A"]
    assert find_cycle({"App": {"Features", "Web"}, "Features": {"Web"}, "Web": set()}) is None


def test_an_upward_edge_is_found_in_a_synthetic_graph():
    layers = read_layers("```layers\ntests: TestSupport\napp: App  # a comment\nfeatures: A B\nweb: Web\n```\n")
    assert layers == [("tests", ["TestSupport"]), ("app", ["App"]), ("features", ["A", "B"]), ("web", ["Web"])]
    rank = ranks(layers, {"AppTests"})
    down = {"AppTests": {"App", "TestSupport"}, "App": {"A", "Web"}, "A": {"B"}, "B": {"Web"}, "Web": set(), "TestSupport": set()}
    assert layer_violations(down, rank) == []
    up = {**down, "Web": {"A"}, "B": {"AppTests"}}
    assert layer_violations(up, rank) == ["B -> AppTests", "Web -> A"]


def test_the_drawing_is_read_edge_by_edge():
    text = "```mermaid\ngraph TD\n  A --> B\n  B-->C\n  %% C --> A\n```\n"
    assert read_mermaid_edges(text) == {("A", "B"), ("B", "C")}


def test_imports_are_read_in_every_form():
    text = """import Foundation
@testable import EnterCRM
@_exported import Web
import struct MariaDB.Row
  import Platform  // a comment
// import Commented
/* import Blocked */
let importance = 1
"""
    assert imported_modules(text) == {"Foundation", "EnterCRM", "Web", "MariaDB", "Platform"}


def test_an_undeclared_import_is_found_in_a_synthetic_package():
    package = {"targets": [
        {"name": "App", "type": "regular", "path": "Sources/App", "dependencies": [{"byName": ["Web", None]}]},
        {"name": "Web", "type": "regular", "path": "Sources/Web", "dependencies": []},
        {"name": "CLib", "type": "system", "path": "Sources/CLib", "dependencies": []},
    ]}
    files = {"Sources/App": "import Web\nimport Foundation\nimport CLib\n", "Sources/Web": "import Yams\n"}
    problems = undeclared_imports(package, sources=lambda target: [ROOT / target["path"] / "F.swift"],
                                  read=lambda path: files[str(path.parent.relative_to(ROOT))])
    assert problems == ["App: Sources/App/F.swift imports CLib, not a declared dependency",
                        "Web: Sources/Web/F.swift imports Yams, a module of no target, product or the toolchain"]
