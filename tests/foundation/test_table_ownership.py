"""One writer per table: the SQL each service runs touches only the tables its own migrations
create, except the reads of another owner's tables that the README's table of owners lists.

The SQL is every string literal of the service's package and of the `mentionflow` library
modules it imports (followed transitively); the tables are those the migration files create.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from mentionflow.db import Migrations
from mentionflow_console.main import MIGRATIONS as CONSOLE
from mentionflow_ingest.main import MIGRATIONS as INGEST
from mentionflow_publish.main import MIGRATIONS as PUBLISH

ROOT = Path(__file__).resolve().parents[2]
SERVICES: dict[str, tuple[str, tuple[Migrations, ...]]] = {
    "ingest": ("mentionflow_ingest", tuple(INGEST)),
    "classify": ("mentionflow_classify", ()),
    "routing": ("mentionflow_routing", ()),
    "publish": ("mentionflow_publish", tuple(PUBLISH)),
    "console": ("mentionflow_console", tuple(CONSOLE)),
}
RUNTIME_TABLES = {"schema_migrations"}  # the migration runner's own (mentionflow.db)

# Views and functions a migration creates are held to the same rule as tables: one owner
# migrates them, and another service reads them only where the README says so.
_CREATE = re.compile(r"\bCREATE (?:OR REPLACE )?(?:TABLE|VIEW|FUNCTION) (?:IF NOT EXISTS )?(\w+)")
_DROP = re.compile(r"\bDROP TABLE (?:IF EXISTS )?(\w+)")
_WRITE = re.compile(r"\b(?:INSERT INTO|UPDATE|DELETE FROM|TRUNCATE(?: TABLE)?|ALTER TABLE)\s+(\w+)")
_READ = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)")


def tables_created(sets: Iterable[Migrations]) -> set[str]:
    created: set[str] = set()
    for migrations in sets:
        for path in sorted(migrations.folder.glob("*.sql")):
            sql = path.read_text()
            created |= set(_CREATE.findall(sql))
            created -= set(_DROP.findall(sql))
    return created


def _module_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin) if spec is not None and spec.origin and spec.origin.endswith(".py") else None


def source_files(package: str) -> set[Path]:
    """The service package's files and every `mentionflow.*` module they import, transitively."""
    root = _module_file(package)
    assert root is not None
    files = set(root.parent.rglob("*.py"))
    todo = list(files)
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.split(".")[0] != "mentionflow":
                    continue
                path = _module_file(name) if _is_module(name) else None
                if path is not None and path not in files:
                    files.add(path)
                    todo.append(path)
    return files


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _render(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The text of a string expression: literals, f-strings and + with module-level string
    constants filled in (an unknown part renders as '?')."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name | ast.Attribute):
        return constants.get(node.id if isinstance(node, ast.Name) else node.attr)
    if isinstance(node, ast.JoinedStr):
        return "".join(_render(v.value if isinstance(v, ast.FormattedValue) else v, constants) or "?"
                       for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _render(node.left, constants), _render(node.right, constants)
        return None if left is None and right is None else (left or "?") + (right or "?")
    return None


def string_constants(sources: Iterable[str]) -> dict[str, str]:
    """Module-level NAME = <string expression> of every source (SQL fragments shared by name)."""
    assigns = [(node.targets[0].id, node.value) for text in sources for node in ast.parse(text).body
               if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)]
    constants: dict[str, str] = {}
    for _ in range(3):  # fragments built from fragments
        for name, value in assigns:
            text = _render(value, constants)
            if text is not None:
                constants[name] = text
    return constants


def string_literals(source: str, constants: dict[str, str]) -> list[str]:
    """Every string expression of `source`, rendered (f-strings with the constants they use)."""
    return [text for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp)
            and (text := _render(node, constants)) is not None]


@dataclass(frozen=True)
class Access:
    table: str
    kind: str  # "write" | "read"
    where: str


def accesses(sources: dict[str, str], known: set[str]) -> list[Access]:
    """Table accesses in the SQL of `sources` (name → text), for tables in `known` only."""
    found = []
    constants = string_constants(sources.values())
    for where, text in sources.items():
        for literal in string_literals(text, constants):
            for table in _WRITE.findall(literal):
                if table in known:
                    found.append(Access(table, "write", where))
            for table in _READ.findall(literal):
                if table in known:
                    found.append(Access(table, "read", where))
    return found


def readme_owners() -> tuple[dict[str, str], dict[str, set[str]]]:
    """From README.md's table of owners: table → owner, and table → services that may read it."""
    owners: dict[str, str] = {}
    readers: dict[str, set[str]] = {}
    text = (ROOT / "README.md").read_text()
    section = text.split("### Table owners", 1)[1].split("\n#", 1)[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        owner = cells[1].split()[0]
        for table in re.findall(r"`(\w+)`", cells[0]):
            owners[table] = owner
            readers[table] = set(re.findall(r"\b(" + "|".join(SERVICES) + r")\b", cells[2]))
    return owners, readers


def violations(service: str, extra_sources: dict[str, str] | None = None) -> list[str]:
    package, migrations = SERVICES[service]
    own = tables_created(migrations)
    known = set().union(*(tables_created(m) for _, m in SERVICES.values())) | RUNTIME_TABLES
    sources = {str(path.relative_to(ROOT)): path.read_text() for path in source_files(package)}
    sources.update(extra_sources or {})
    _, readers = readme_owners()
    problems = []
    for access in accesses(sources, known):
        if access.table in own or access.table in RUNTIME_TABLES:
            continue
        if access.kind == "read" and service in readers.get(access.table, set()):
            continue
        problems.append(f"{service} {access.kind}s {access.table} ({access.where})")
    return sorted(set(problems))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_touches_only_its_own_tables_and_the_listed_reads(service: str) -> None:
    assert violations(service) == []


def test_the_readme_names_the_owner_that_migrates_each_table() -> None:
    owners, readers = readme_owners()
    migrated = {table: service for service, (_, sets) in SERVICES.items() for table in tables_created(sets)}
    assert owners == migrated
    assert all(service not in readers[table] for table, service in migrated.items())


def test_the_scan_sees_the_sql_that_matters() -> None:
    # the console's reads of publish's tables go through the shared read model, and are found
    sources = {str(p.relative_to(ROOT)): p.read_text() for p in source_files("mentionflow_console")}
    known = tables_created(PUBLISH) | tables_created(CONSOLE)
    found = {(a.table, a.kind) for a in accesses(sources, known)}
    assert {("queue_items", "read"), ("incidents", "read"), ("queue_work", "write"),
            ("console_requests", "write")} <= found
    assert not {a for a in found if a[1] == "write" and a[0] in tables_created(PUBLISH)}


@pytest.mark.parametrize(("service", "planted", "expected"), [
    ("console", '"UPDATE escalations SET status = \'acknowledged\' WHERE dedup_key = $1"',
     "console writes escalations"),
    ("console", 'f"INSERT INTO reply_outbox (reply_id) VALUES ($1)"', "console writes reply_outbox"),
    ("publish", '"UPDATE queue_work SET status = $2 WHERE item_id = $1"', "publish writes queue_work"),
    ("ingest", '"SELECT count(*) FROM queue_items"', "ingest reads queue_items"),
])
def test_a_planted_violation_is_caught(service: str, planted: str, expected: str) -> None:
    problems = violations(service, {"planted.py": f"SQL = {planted}\n"})
    assert [p for p in problems if p.startswith(expected)] == [f"{expected} (planted.py)"]
