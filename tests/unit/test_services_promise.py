"""The promise of `athletes/services/`: every public function that writes ends in
`athlete_data_changed` (directly or through another service), or its docstring says why not
("Not a data change: …", "A read.", "A computation."). A new write that forgets the cache
and the snapshots fails here, not in a coach's stale roster."""

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "athletes" / "services"
EXCUSES = ("Not a data change", "A read", "A computation")


def _functions() -> dict[str, tuple[str, set[str], str]]:
    found = {}
    for path in sorted(SERVICES.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                calls = {
                    c.func.id if isinstance(c.func, ast.Name) else getattr(c.func, "attr", "")
                    for c in ast.walk(node)
                    if isinstance(c, ast.Call)
                }
                found[node.name] = (path.stem, calls, ast.get_docstring(node) or "")
    return found


def test_every_write_ends_in_athlete_data_changed_or_says_why_not():
    functions = _functions()
    assert len(functions) > 40

    def ends(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == "athlete_data_changed":
            return True
        if name not in functions or name in seen:
            return False
        return any(ends(call, seen | {name}) for call in functions[name][1])

    silent = [
        f"{module}.{name}"
        for name, (module, _calls, doc) in functions.items()
        if not name.startswith("_") and name != "athlete_data_changed"
        if not ends(name) and not any(excuse in doc for excuse in EXCUSES)
    ]
    assert silent == []


def test_services_are_split_by_concern():
    modules = {p.stem for p in SERVICES.glob("*.py")} - {"__init__"}
    assert modules == {"changes", "accounts", "activities", "health", "plans", "imports"}
    assert all(len(p.read_text().splitlines()) < 600 for p in SERVICES.glob("*.py"))
