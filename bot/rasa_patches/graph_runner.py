"""The model's graph run node after node in a plan made once per target list (`DaskGraphRunner.run`).

**What.** For every message Rasa runs the trained graph twice (NLU, then the policies), and each time
`DaskGraphRunner.run` (rasa/engine/runner/dask.py) recomputes the subgraph its targets need
(`GraphSchema.minimal_graph_schema`, a recursive walk that visits shared nodes once per path), builds a
dask task graph of it, and hands it to `dask.get`, whose scheduler orders and dispatches the tasks one by
one on this same thread. Here the walk is done once per target list into a plan: the needed nodes in an order
where every node comes after the nodes it needs (depth first, in the order of each node's `needs`), and
each run calls the nodes in that order, giving each the outputs of the nodes it needs exactly as dask
does: a `(node name, output)` pair per need, or the need's name itself when no node or input provides
it (dask passes an unknown key through as a plain string, and `GraphNode.__call__` warns about it). The
result is Rasa's: `{target: output}`; a `RuntimeError` becomes Rasa's `GraphRunError`, and every other
exception goes up unchanged, as from `dask.get`. A string input equal to a node's name is refused with
Rasa's own check.

**Why.** 6% of the Rasa server's CPU per message under load was dask's bookkeeping and the schema walk
around the components (py-spy, concurrency 10, 2026-12-07), at a time when the Rasa server's one core was the
limit of the bot's throughput (issue #17).

**Measured.** See `tests/test_rasa_patches.py::test_graph_runner_*` for the contract (the same outputs as
dask's run on the trained model, for NLU and for the policies) and the README section "Performance" for the
figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_original: Any = None


def plan(nodes: dict[str, Any], targets: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The nodes `targets` need, each with the names it needs, every node after the nodes it needs.

    Args:
        nodes: the graph schema's nodes (name -> `SchemaNode`, whose `needs` maps argument -> node name).
        targets: the nodes whose outputs are wanted (names that are no node, such as inputs, are skipped).

    Returns:
        (node name, the names of its needs in `needs` order) in an order that can be run front to back.

    Raises:
        ValueError: the graph has a cycle (Rasa validates graphs when it trains them, so only a broken model).
    """
    done: dict[str, tuple[str, ...]] = {}
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in nodes:
            return
        if name in visiting:
            raise ValueError(f"the graph has a cycle through node {name!r}")
        visiting.add(name)
        needs = tuple(nodes[name].needs.values())
        for need in needs:
            visit(need)
        visiting.discard(name)
        done[name] = needs

    for target in targets:
        visit(target)
    return tuple(done.items())


def run(self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None) -> dict[str, Any]:
    """`DaskGraphRunner.run` without dask: the cached plan for `targets`, run in order (module docstring)."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = targets if targets else self._graph_schema.target_names
    key = tuple(run_targets)
    plans: dict[tuple[str, ...], Any] | None = getattr(self, "_bot_plans", None)
    if plans is None:
        plans = {}
        self._bot_plans = plans
    steps = plans.get(key)
    if steps is None:
        steps = plan(self._graph_schema.nodes, run_targets)
        plans[key] = steps

    results: dict[str, Any] = {}
    if inputs:
        # Rasa's own check (a string input equal to a node's name would be taken for that node by dask).
        self._add_inputs_to_graph(inputs, dict.fromkeys(name for name, _needs in steps))
        results.update((name, (name, value)) for name, value in inputs.items())
    nodes = self._instantiated_nodes
    try:
        for name, needs in steps:
            results[name] = nodes[name](*[results.get(need, need) for need in needs])
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results[target] for target in run_targets)


def rasa_original() -> Any:
    """Rasa's own `DaskGraphRunner.run`, whether or not the patch is installed."""
    from rasa.engine.runner.dask import DaskGraphRunner

    return _original or DaskGraphRunner.run


def install() -> None:
    """Replaces Rasa's method; calling it again does nothing."""
    global _original
    from rasa.engine.runner.dask import DaskGraphRunner

    if DaskGraphRunner.run is run:
        return
    _original = DaskGraphRunner.run
    DaskGraphRunner.run = run
