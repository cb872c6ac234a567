"""The module graph of Package.swift runs downward (issue 21).

`swift package dump-package` gives the targets and their dependencies as JSON. The layers,
top to bottom, are written once, in the ```layers block of docs/architecture.md; this test
fails when a dependency goes up a layer, when the graph has a cycle, when a target or a
package product is in no layer, or when the graph drawn in that file (its ```mermaid block)
is not the graph of Package.swift. Test targets (type "test") are the top layer, always.
Needs no running stack."""

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
