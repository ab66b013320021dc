"""The layers of docs/architecture.md, enforced: every import of every module of the project,
read from its source, against the tables on that page. A module in a lower layer importing a
higher one, a pure module importing I/O, a service importing another service (but the
reporting service reading the others' read side) or a module in no layer fails here."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "architecture.md"
PACKAGES = ("shared", "services", "ptrack", "tools", "bench", "tests")
PURE_MAY_IMPORT = frozenset({"pydantic", "pydantic_core", "immutables", "networkx"})
READ_SIDE = ("events", "readmodels", "queries", "views", "schedule")
"""What the reporting service may import of another service."""


@dataclass(frozen=True)
class Rules:
    layers: list[tuple[str, list[str]]]
    """(name, module prefixes), from the bottom up."""
    pure: list[str]
    """Patterns of the pure modules."""

    def layer_of(self, module: str) -> int | None:
        best: tuple[int, int] | None = None  # (prefix length, layer index)
        for index, (_, prefixes) in enumerate(self.layers):
            for prefix in prefixes:
                covers = module == prefix or module.startswith(prefix + ".")
                if covers and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), index)
        return None if best is None else best[1]

    def is_pure(self, module: str) -> bool:
        return any(fnmatchcase(module, pattern) for pattern in self.pure)


def rules_from(page: str) -> Rules:
    """The layers table (rows of `| name | `modules`, ... | ... |`) and the pure-modules table."""
    layers_part = page.split("## Layers", 1)[1].split("\n## ", 1)[0]
    pure_part = page.split("## Pure modules", 1)[1].split("\n## ", 1)[0]
    layers = []
    for line in layers_part.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and "`" in cells[1]:
            layers.append((cells[0], re.findall(r"`([\w.]+)`", cells[1])))
    pure = [
        pattern
        for line in pure_part.splitlines()
        if line.startswith("|")
        for pattern in re.findall(r"`([\w.*]+)`", line)
    ]
    return Rules(layers, pure)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import in the file, inside functions and
    `TYPE_CHECKING` blocks too (an import cycle there is still a cycle in the design)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            if names <= _PURE_NAMES:
                continue
            yield node.module, node.lineno
            for alias in node.names:  # `from services.finance import queries` names a module
                yield f"{node.module}.{alias.name}", node.lineno


def violations(rules: Rules, module: str, imports: list[tuple[str, int]]) -> Iterator[str]:
    own = rules.layer_of(module)
    if own is None:
        yield f"{module}: in no layer of docs/architecture.md"
        return
    for imported, line in imports:
        top = imported.split(".")[0]
        if top not in PACKAGES:
            if rules.is_pure(module) and top in _IO:
                yield f"{module}:{line} is pure but imports {imported}"
            continue
        layer = rules.layer_of(imported)
        if layer is None or _not_a_module(imported):
            continue
        if layer > own:
            yield (
                f"{module}:{line} ({rules.layers[own][0]}) imports {imported} "
                f"({rules.layers[layer][0]}), a higher layer"
            )
        if rules.is_pure(module) and not rules.is_pure(imported):
            yield f"{module}:{line} is pure but imports {imported}, which is not"
        yield from _between_services(module, imported, line)


_IO = frozenset(
    {"asyncpg", "nats", "fastapi", "starlette", "httpx", "uvicorn", "prometheus_client", "anyio"}
    | {"socket", "subprocess", "os", "random", "uuid", "time", "asyncio"}
)
"""What a pure module may not import: drivers, web frameworks, and the standard library's I/O,
clock, randomness and id generation."""

_PURE_NAMES = frozenset({"uuid.UUID"})
"""Names a pure module may import from those: types, not what makes ids."""


def _not_a_module(name: str) -> bool:
    # `from services.finance.queries import Project` also yields `...queries.Project`: a name
    # inside a module, judged by the module it is in.
    parent = name.split(".")[:-1]
    return bool(parent) and ROOT.joinpath(*parent).with_suffix(".py").exists()


def _between_services(module: str, imported: str, line: int) -> Iterator[str]:
    if not (module.startswith("services.") and imported.startswith("services.")):
        return
    mine, theirs = module.split(".")[1], imported.split(".")[1:]
    if not theirs or theirs[0] == mine:
        return
    reads_their_side = len(theirs) == 1 or theirs[1] in READ_SIDE
    if mine == "reporting" and theirs[0] != "reporting" and reads_their_side:
        return
    yield f"{module}:{line} imports {imported}: another service's internals"


def project_modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield module_name(path), path


def test_every_import_keeps_to_the_layers() -> None:
    rules = rules_from(PAGE.read_text(encoding="utf-8"))
    assert [name for name, _ in rules.layers][:3] == ["foundation", "log", "engine"], rules
    modules = list(project_modules())
    found = [
        problem
        for module, path in modules
        for problem in violations(rules, module, list(imports_of(path)))
    ]
    assert not found, "\n".join(found)
    assert len(modules) > 200, "the check reads every module of the project"


def test_the_check_fails_on_an_import_from_a_higher_layer() -> None:
    """The rules catch what they are for (a check that cannot fail proves nothing)."""
    rules = rules_from(PAGE.read_text(encoding="utf-8"))
    cases = {
        "a store importing the runtime": ("shared.store.postgres", "shared.runtime"),
        "the engine importing HTTP": ("shared.projection.writer", "shared.http.problems"),
        "the library importing a service": ("shared.recorder", "services.finance.domain"),
        "a service importing the command line": ("services.finance.api", "ptrack.cli"),
        "shipped code importing a test": ("ptrack.cli", "tests.conftest"),
        "a pure decider importing a driver": ("services.finance.domain", "asyncpg"),
        "a pure decider reading the clock": ("services.surveys.domain", "time"),
        "a decider importing a read model": ("services.finance.domain", "shared.projection"),
        "one service importing another's domain": (
            "services.finance.api",
            "services.registry.domain",
        ),
        "reporting importing another's routes": (
            "services.reporting.status",
            "services.finance.api",
        ),
    }
    for case, (module, imported) in cases.items():
        assert list(violations(rules, module, [(imported, 1)])), case
    allowed = {
        "the runtime importing the store": ("shared.runtime", "shared.store.postgres"),
        "reporting reading finance's views": (
            "services.reporting.status",
            "services.finance.views",
        ),
        "the command line importing a service": ("ptrack.replay", "services.reporting.timetravel"),
    }
    for case, (module, imported) in allowed.items():
        assert not list(violations(rules, module, [(imported, 1)])), case
