"""The floors of the code (ARCHITECTURE.md, pipelines/__init__.py): every import of the product, read with `ast`,
goes to its own floor or lower, no modules import each other round a loop, nothing below ui/ imports Streamlit,
and only commands import pipelines.cli."""
from __future__ import annotations

import pytest

from tools import imports

# Lowest first. A module stands on the floor of the longest name here that it is or lies under.
FLOORS = (
    ("ground", ("pipelines", "pipelines.settings", "pipelines.vocabulary", "pipelines.access", "pipelines.months",
                "pipelines.cells", "pipelines.export")),
    ("store", ("pipelines.store",)),
    # cli opens the database with the admins' settings overrides, so it stands on the admin floor.
    ("figures, ingest, admin", ("pipelines.figures", "pipelines.ingest", "pipelines.admin", "pipelines.cli")),
    ("alerts", ("alerts",)),
    ("screens, bulletin, commands", ("pipelines.screens", "pipelines.bulletin", "pipelines.demo", "pipelines.report",
                                     "pipelines.template", "pipelines.timeline", "pipelines.tasks")),
    ("api, ui", ("api", "ui")),
    ("pages, app", ("pages", "app")),
)
# The commands: `python -m <name>` for each, and the modules that are nothing but a command.
COMMANDS = ("pipelines.report", "pipelines.template", "pipelines.timeline", "pipelines.tasks", "alerts.check",
            "pipelines.bulletin.hearing")
BELOW_UI = ("pipelines", "alerts")


def floor_of(module: str) -> int:
    """The index in FLOORS of the floor a module stands on; KeyError for a module no floor names."""
    best = None
    for index, (_, names) in enumerate(FLOORS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > len(best[1])):
                best = (index, name)
    if best is None:
        raise KeyError(module)
    return best[0]


def _is_command(module: str) -> bool:
    return module.endswith(".__main__") or module in COMMANDS


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a lower floor to a higher one, as 'a (floor) → b (floor)'."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if floor_of(target) > floor_of(module):
                found.append(f"{module} ({FLOORS[floor_of(module)][0]}) → {target} ({FLOORS[floor_of(target)][0]})")
    return found


def cli_importers(graph: dict[str, set[str]]) -> list[str]:
    """Modules other than commands that import pipelines.cli."""
    return sorted(m for m, targets in graph.items() if "pipelines.cli" in targets and not _is_command(m))


def test_every_module_stands_on_a_floor():
    """A new folder or top-level module is given its floor here (and in ARCHITECTURE.md) before it lands."""
    unplaced = []
    for module in imports.modules():
        try:
            floor_of(module)
        except KeyError:
            unplaced.append(module)
    assert unplaced == []


def test_imports_go_to_the_same_floor_or_lower():
    assert upward_imports(imports.edges()) == []


def test_no_modules_import_each_other_round_a_loop():
    assert imports.cycles(imports.edges()) == []


def test_nothing_below_ui_imports_streamlit_ui_or_pages():
    offending = []
    for module, path in imports.modules().items():
        if module.split(".")[0] in BELOW_UI:
            names = imports.imported_names(path)
            offending += [f"{module} → {name}" for name in sorted(names)
                          if name.split(".")[0] in ("streamlit", "ui", "pages")]
    assert offending == []


def test_only_commands_import_cli():
    assert cli_importers(imports.edges()) == []


@pytest.mark.parametrize(("graph", "upward", "cycles", "cli"), [
    ({"pipelines.store.db": {"pipelines.settings"}}, [], [], []),
    ({"pipelines.store.db": {"pipelines.figures.duty"}, "pipelines.figures.duty": set()},
     ["pipelines.store.db (store) → pipelines.figures.duty (figures, ingest, admin)"], [], []),
    ({"pipelines.ingest.run": {"pipelines.ingest.load"}, "pipelines.ingest.load": {"pipelines.ingest.run"}},
     [], [["pipelines.ingest.load", "pipelines.ingest.run"]], []),
    ({"pipelines.ingest.run": {"pipelines.cli"}, "pipelines.ingest.__main__": {"pipelines.cli"},
      "pipelines.cli": set()},
     [], [], ["pipelines.ingest.run"]),
])
def test_the_checks_catch_what_they_forbid(graph, upward, cycles, cli):
    """An upward import, a loop and a non-command importing cli are each reported (the checks can fail)."""
    assert (upward_imports(graph), imports.cycles(graph), cli_importers(graph)) == (upward, cycles, cli)
