"""No import cycles between trustledger's modules (the layer contracts are in pyproject.toml,
checked by `lint-imports` in `make test`; a cycle inside one layer is caught here)."""

from __future__ import annotations

import grimp


def test_the_package_has_no_import_cycle() -> None:
    graph = grimp.build_graph("trustledger", exclude_type_checking_imports=True)
    modules = sorted(graph.modules)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            # A package importing its own submodule is how Python packages work, not a cycle.
            if imported.startswith(module + "."):
                continue
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in modules:
        if module not in state:
            visit(module, [module])
    assert cycles == []
