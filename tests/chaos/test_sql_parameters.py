"""SQL only with parameters: no query text passed to asyncpg is built from values at run time.

A static scan of services/ and libs/ (and the chaos harness): the query argument of every
execute/executemany/fetch/fetchrow/fetchval/prepare/cursor/copy call must not be an f-string,
a `.format()` call, `%` formatting or a concatenation with a non-literal — directly, or
through a local or module-level name bound to one. Identifiers cannot be parameters in
PostgreSQL; the few places that interpolate an identifier chosen from code (never from input)
are listed below with why they are safe, or marked `# sql-ok: <why>` on the line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCANNED = [REPO / "services", REPO / "libs", REPO / "bench" / "chaos", REPO / "bench" / "console_load"]
QUERY_METHODS = {"execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare", "cursor",
                 "copy_from_query", "copy_records_to_table"}

# (path relative to the repo, enclosing function): why the interpolation is safe.
ALLOWED: dict[tuple[str, str], str] = {
    # `_QUEUES`, `_BREACHES` are module constants built from mentionflow.queue.domain's SQL
    # fragments; the statuses go in $1.
    ("services/publish/mentionflow_publish/sampler.py", "sample"): "constant queries from the domain module",
    # `_COLUMNS` is a module constant listing column names.
    ("services/publish/mentionflow_publish/reply_store.py", "due"): "constant column list",
    ("services/publish/mentionflow_publish/reply_store.py", "current"): "constant column list",
    # `column` is one of two literals chosen by the event's action.
    ("services/publish/mentionflow_publish/escalation_store.py", "apply_escalation"): "column from a literal pair",
    # `_USER_SELECT` is a module constant; the values go in $1.
    ("libs/mentionflow/mentionflow/accounts/store.py", "get_user"): "constant SELECT + literal",
    ("libs/mentionflow/mentionflow/accounts/store.py", "get_user_by_id"): "constant SELECT + literal",
    ("libs/mentionflow/mentionflow/accounts/store.py", "list_users"): "constant SELECT + literal",
    # Console: DETAIL/SUMMARY/INCIDENT_COLUMNS are module constants; in_scope() and
    # QueueFilters.where() emit column names from literal tuples and `$n` placeholders only
    # (values go in the arguments); LIMIT is int(limit); `lock` is "" or " FOR UPDATE".
    ("services/console/mentionflow_console/actions.py", "_update_item"): "constant column list",
    ("services/console/mentionflow_console/actions.py", "claim"): "constant column list",
    ("services/console/mentionflow_console/repository.py", "list_items"): "placeholders, literal test, int limit",
    ("services/console/mentionflow_console/repository.py", "changed_versions"): "constant CHANGED_SINCE",
    ("services/console/mentionflow_console/repository.py", "items_by_id"): "placeholders + in_scope",
    ("services/console/mentionflow_console/repository.py", "facets"): "placeholders only",
    ("services/console/mentionflow_console/repository.py", "get_item"): "placeholders + literal lock",
    ("services/console/mentionflow_console/repository.py", "conversation"): "placeholders only",
    ("services/console/mentionflow_console/repository.py", "list_incidents"): "placeholders + int limit",
    ("services/console/mentionflow_console/repository.py", "get_incident"): "placeholders + literal lock",
    ("services/console/mentionflow_console/repository.py", "incident_mentions"): "placeholders only",
    # Console care: NOTE_COLUMNS / saved_replies.COLUMNS / repository.SUMMARY_COLUMNS and ITEMS are
    # module constants; in_scope() emits a column name and a `$n` placeholder.
    ("services/console/mentionflow_console/notes.py", "item_notes"): "constant column list",
    ("services/console/mentionflow_console/notes.py", "mentions_of"): "constant column list + in_scope",
    ("services/console/mentionflow_console/notes.py", "customer"): "constant column list",
    ("services/console/mentionflow_console/saved_replies.py", "list_for"): "constant column list + in_scope",
    ("services/console/mentionflow_console/saved_replies.py", "_get"): "constant column list + in_scope",
    ("services/console/mentionflow_console/saved_replies.py", "save"): "constant column list",
    # FILL and CHANGES are module constants: two literal CTEs each joined to the literal APPLY.
    ("services/console/mentionflow_console/analytics/catch_up.py", "_pass"): "literal module constants",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    function: str
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}(): query built with {self.how}"


def _dynamic(node: ast.AST) -> str | None:
    """How `node` builds a string at run time, or None when it is a literal (or unknown)."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "an f-string"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return ".format()"
    literal_left = isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant | ast.JoinedStr)
    if literal_left and isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [node.left, node.right]
        if any(_dynamic(p) for p in parts):
            return next(d for d in map(_dynamic, parts) if d)
        if not all(isinstance(p, ast.Constant) for p in parts) and any(isinstance(p, ast.Constant) for p in parts):
            return "concatenation with a non-literal"
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, source: str, module_bindings: dict[str, ast.AST]) -> None:
        self.path = path
        self.lines = source.splitlines()
        self.module_bindings = module_bindings
        self.function = "<module>"
        self.local_bindings: dict[str, ast.AST] = {}
        self.findings: list[Finding] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = (self.function, self.local_bindings)
        self.function = node.name
        self.local_bindings = {t.id: n.value for n in ast.walk(node) if isinstance(n, ast.Assign)
                               for t in n.targets if isinstance(t, ast.Name)}
        self.generic_visit(node)
        self.function, self.local_bindings = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast.NodeVisitor naming

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_METHODS and node.args:
            query = node.args[0]
            how = _dynamic(query)
            if how is None and isinstance(query, ast.Name):
                bound = self.local_bindings.get(query.id) or self.module_bindings.get(query.id)
                how = _dynamic(bound) if bound is not None else None
                how = f"{how} (via {query.id})" if how else None
            end = getattr(node, "end_lineno", node.lineno) or node.lineno
            marked = any("# sql-ok:" in line for line in self.lines[node.lineno - 1:end])
            if how and not marked and (self.path, self.function) not in ALLOWED:
                self.findings.append(Finding(self.path, node.lineno, self.function, how))
        self.generic_visit(node)


def scan_source(path: str, source: str) -> list[Finding]:
    tree = ast.parse(source)
    module_bindings = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
                       for t in n.targets if isinstance(t, ast.Name)}
    scanner = _Scanner(path, source, module_bindings)
    scanner.visit(tree)
    return scanner.findings


def python_files() -> list[Path]:
    return sorted(p for root in SCANNED for p in root.rglob("*.py") if ".venv" not in p.parts)


def test_no_query_is_built_from_run_time_values() -> None:
    findings = []
    for path in python_files():
        findings += scan_source(str(path.relative_to(REPO)), path.read_text())
    assert not findings, "SQL built with string formatting:\n" + "\n".join(map(str, findings))


def test_every_allow_listed_place_still_exists() -> None:
    """An allow-list entry whose code moved on must go, or it would hide a new finding."""
    for (path, function), _why in ALLOWED.items():
        tree = ast.parse((REPO / path).read_text())
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        assert function in names, f"{path}: {function}() no longer exists"


@pytest.mark.parametrize(("snippet", "how"), [
    ("async def f(conn, name):\n    await conn.execute(f\"DELETE FROM t WHERE name = '{name}'\")", "an f-string"),
    ("async def f(conn, v):\n    await conn.fetch('SELECT * FROM t WHERE a = {}'.format(v))", ".format()"),
    ("async def f(conn, v):\n    await conn.fetchval('SELECT %s' % v)", "% formatting"),
    ("async def f(conn, v):\n    await conn.fetchrow('SELECT * FROM t WHERE a = ' + v)",
     "concatenation with a non-literal"),
    ("async def f(conn, v):\n    q = f'SELECT {v}'\n    await conn.execute(q)", "an f-string (via q)"),
    ("Q = 'SELECT * FROM t WHERE a = %s' % 1\nasync def f(conn):\n    await conn.execute(Q)", "% formatting (via Q)"),
])
def test_the_scan_catches_each_way_of_building_sql(snippet: str, how: str) -> None:
    assert [f.how for f in scan_source("example.py", snippet)] == [how]


def test_parameters_and_allow_markers_pass_the_scan() -> None:
    safe = (
        "Q = 'SELECT * FROM t WHERE a = $1'\n"
        "async def f(conn, v, role):\n"
        "    await conn.execute(Q, v)\n"
        "    await conn.fetch('SELECT * FROM t ' 'WHERE b = $1', v)\n"
        "    await conn.execute(f'CREATE ROLE {role}')  # sql-ok: generated identifier\n"
    )
    assert scan_source("example.py", safe) == []
