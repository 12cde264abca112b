"""`mentionflow config check`, `mentionflow rules test`, `mentionflow rules diff`.

- config check [PATH]: validate a brand config offline; exit 1 listing `file:line: key: problem`.
- rules test [--config PATH]: run the example mentions shipped in the config's fixtures/ folder;
  exit 1 with a readable expected/got diff when a decision differs.
- rules diff --config NEW [--since TIME]: shadow replay of mentions.classified from Kafka with a
  consumer group of its own and no side effects; decides each mention with the current and the
  new config and reports what would change, by brand and queue, with samples.
"""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from mentionflow.brandconfig import ConfigError, load_config, read_config
from mentionflow.brandconfig.models import AgencyConfig
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mentionflow_tools.repo import brand_config_or_demo
from mentionflow_tools.rules.diff import DecisionDiff, DiffReport
from mentionflow_tools.rules.fixtures import CaseResult, fixture_files, run_fixture_file

app = typer.Typer(help="Test routing rules against examples; dry-run a config change on history.",
                  no_args_is_help=True)
config_app = typer.Typer(help="Validate brand configuration.", no_args_is_help=True)

# Paths like rules[2] look like rich markup: everything user-provided is printed with markup off.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _say(console: Console, text: str, style: str | None = None) -> None:
    console.print(text, markup=False, style=style)


def _row(table: Table, *values: str) -> None:
    table.add_row(*(Text(v) for v in values))  # Text: never parsed as markup


def _config_or_exit(path: Path) -> AgencyConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            _say(err, str(problem), "red")
        _say(err, f"{path}: configuration refused ({len(exc.problems)} problem(s))", "bold red")
        raise typer.Exit(1) from None


# --- config check ------------------------------------------------------------------------------


@config_app.command("check")
def config_check(
    path: Annotated[
        Path | None, typer.Argument(help="Config file or folder (default: the shipped demo config).")
    ] = None,
) -> None:
    """Validate a brand config: schema, cross references, rule order. Exit 1 on any error."""
    path = path or brand_config_or_demo()
    result = read_config(path)
    for problem in result.errors + result.warnings:
        _say(err if problem.severity == "error" else out, str(problem),
             "red" if problem.severity == "error" else "yellow")
    if result.errors or result.config is None:
        _say(err, f"{path}: {len(result.errors)} error(s), {len(result.warnings)} warning(s)", "bold red")
        raise typer.Exit(1)
    config = result.config
    for brand_id in config.brands:
        found = config.default_rule(brand_id)
        if found is not None and found[1]:
            _say(out, f"note: {found[1]}")
    _say(out, (
        f"ok: {path} ({len(result.files)} file(s), config {config.version}): "
        f"{len(config.brands)} brands, {len(config.teams)} teams, {len(config.queues)} queues, "
        f"{sum(len(b.rules) for b in config.brands.values())} rules, {len(config.rotations)} rotations, "
        f"{len(config.escalation_policies)} escalation policies, {len(result.warnings)} warning(s)"
    ), "green")


# --- rules test --------------------------------------------------------------------------------


@app.command("test")
def rules_test(
    config_path: Annotated[Path | None, typer.Option("--config", help="Config file or folder (default: demo).")] = None,
    fixtures: Annotated[
        list[Path] | None, typer.Option("--fixtures", help="Fixture files (default: <config>/fixtures/*.yaml).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passing cases too.")] = False,
) -> None:
    """Run the config's example mentions; exit 1 with a diff when a decision differs."""
    config_path = config_path or brand_config_or_demo()
    config = _config_or_exit(config_path)
    files = fixtures or fixture_files(config_path)
    if not files:
        _say(err, f"no fixtures for {config_path} (expected {config_path}/fixtures/*.yaml)", "bold red")
        raise typer.Exit(1)
    results: list[CaseResult] = []
    broken = 0
    for path in files:
        try:
            results.extend(run_fixture_file(config, path, display=_display(path)))
        except ConfigError as exc:
            broken += 1
            for problem in exc.problems:
                _say(err, str(problem), "red")
    failed = [r for r in results if not r.passed]
    for result in results:
        if result.passed:
            if verbose:
                _say(out, f"PASS {result.file}:{result.line}  {result.name}", "green")
            continue
        _say(out, f"FAIL {result.file}:{result.line}  {result.name}", "bold red")
        width = max(len(m.field) for m in result.mismatches)
        for m in result.mismatches:
            _say(out, f"     {m.field:<{width}}  expected {_shown(m.expected)}")
            _say(out, f"     {'':<{width}}  got      {_shown(m.actual)}", "red")
        _say(out, "     decision explained:")
        for line in result.decision.explanation:
            _say(out, f"       {line}")
    summary = f"{len(results) - len(failed)} passed, {len(failed)} failed, {len(files)} fixture file(s)"
    if broken:
        summary += f", {broken} unreadable"
    if failed or broken:
        _say(out, summary, "bold red")
        raise typer.Exit(1)
    _say(out, f"{summary} (config {config.version})", "green")


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- rules diff --------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """'90m', '6h', '2d', '1w' ago, or an ISO-8601 time (naive means UTC)."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.fullmatch(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r}: use 90m, 6h, 2d, 1w or an ISO time like 2025-03-11T09:00+01:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("diff")
def rules_diff(
    config_path: Annotated[Path, typer.Option("--config", help="The NEW config (file or folder).")],
    current_path: Annotated[
        Path | None,
        typer.Option("--current", help="The config in production (default: $MENTIONFLOW_BRAND_CONFIG or demo)."),
    ] = None,
    since: Annotated[str, typer.Option(help="Replay from: 90m, 6h, 2d, 1w ago, or an ISO time.")] = "24h",
    bootstrap_servers: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default: MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS).")
    ] = None,
    topic_prefix: Annotated[
        str | None, typer.Option(help="Physical topic prefix (default: MENTIONFLOW_KAFKA__TOPIC_PREFIX).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Stop after this many mentions.")] = None,
    samples: Annotated[int, typer.Option(help="How many differing decisions to show.")] = 10,
    idle_timeout: Annotated[float, typer.Option(help="Give up after this many seconds without progress.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (machine output).")] = False,
    fail_on_change: Annotated[bool, typer.Option(help="Exit 3 when any decision changes (CI gate).")] = False,
) -> None:
    """Shadow replay: decide recent mentions with the current and the new config, report changes.

    Reads mentions.classified from SINCE up to the end offsets seen at start with a consumer
    group of its own; commits nothing and produces nothing."""
    from mentionflow.settings import ServiceSettings

    from mentionflow_tools.rules.shadow import ShadowError, ShadowReader  # aiokafka only when needed

    candidate = _config_or_exit(config_path)
    current = _config_or_exit(current_path or brand_config_or_demo())
    kafka = ServiceSettings().kafka
    updates: dict[str, Any] = {}
    if bootstrap_servers:
        updates["bootstrap_servers"] = bootstrap_servers
    if topic_prefix is not None:
        updates["topic_prefix"] = topic_prefix
    kafka = kafka.model_copy(update=updates)
    reader = ShadowReader(kafka, since=parse_since(since), limit=limit, idle_timeout_s=idle_timeout)
    diff = DecisionDiff(current, candidate, max_samples=samples)

    async def replay() -> None:
        async for envelope in reader.events():
            # Decide at the time routing saw it: the classified event's production time.
            diff.add(envelope.payload, now=envelope.produced_at)

    try:
        asyncio.run(replay())
    except (ShadowError, OSError) as exc:
        _say(err, f"rules diff: {exc}", "bold red")
        raise typer.Exit(2) from None
    report = diff.report().model_copy(update={"source": reader.stats.as_dict()})
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        render_report(report, out)
    if fail_on_change and report.changed:
        raise typer.Exit(3)


def render_report(report: DiffReport, console: Console) -> None:
    """The human view of a diff: counts first, then where decisions move, then samples."""
    src = report.source
    pct = f"{100 * report.changed / report.total:.1f}%" if report.total else "n/a"
    _say(console, f"rules diff  current {report.current_version}  →  new {report.candidate_version}", "bold")
    if src:
        _say(console, (
            f"read {src.get('read', 0)} message(s) from {src.get('topic')} since {src.get('since')} "
            f"({src.get('partitions')} partitions, group {src.get('group_id')}); "
            f"{src.get('undecodable', 0)} undecodable skipped"
            + ("; stopped at --limit" if src.get("truncated") else "")
        ))
    _say(console, f"{report.changed} of {report.total} decisions change ({pct})"
         + (f"; {report.failed} could not be decided" if report.failed else ""),
         "bold yellow" if report.changed else "bold green")
    if report.by_brand:
        table = Table(title="by brand")
        for col in ("brand", "mentions", "changed", "%"):
            table.add_column(col, justify="right" if col != "brand" else "left")
        for b in report.by_brand:
            _row(table, b.brand_id, str(b.total), str(b.changed), f"{100 * b.changed / b.total:.1f}" if b.total else "")
        console.print(table)
    if report.queue_moves:
        table = Table(title="queue moves")
        for col in ("from", "to", "mentions"):
            table.add_column(col, justify="right" if col == "mentions" else "left")
        for m in report.queue_moves:
            _row(table, m.from_queue, m.to_queue, str(m.count))
        console.print(table)
    if report.queue_volumes:
        table = Table(title="queue volume")
        for col in ("queue", "now", "new", "delta"):
            table.add_column(col, justify="left" if col == "queue" else "right")
        for v in report.queue_volumes:
            _row(table, v.queue, str(v.before), str(v.after), f"{v.after - v.before:+d}")
        console.print(table)
    if report.by_field or report.priority_moves or report.escalations:
        table = Table(title="what changes")
        table.add_column("change")
        table.add_column("mentions", justify="right")
        for name, count in report.by_field.items():
            _row(table, f"field {name}", str(count))
        for move, count in report.priority_moves.items():
            _row(table, f"priority {move}", str(count))
        for kind, count in report.escalations.items():
            _row(table, f"pages {kind}", str(count))
        console.print(table)
    if report.samples:
        table = Table(title=f"samples ({len(report.samples)}, one per kind of change)", show_lines=True)
        for col in ("brand", "mention", "now", "new", "changed"):
            table.add_column(col, overflow="fold")
        for s in report.samples:
            _row(
                table,
                s.brand_id,
                f"{s.category}/{s.sentiment}: {s.text}",
                f"{s.before.queue} {s.before.priority}\nrule {s.before.rule_id}",
                f"{s.after.queue} {s.after.priority}\nrule {s.after.rule_id}",
                ", ".join(s.changed),
            )
        console.print(table)
    for failure in report.failures:
        _say(console, f"could not decide {failure.mention_id} ({failure.brand_id}) with the {failure.side} "
                      f"config: {failure.error}", "red")
    undecodable = src.get("undecodable_samples", []) if src else []
    for sample in undecodable if isinstance(undecodable, list) else []:
        _say(console, f"undecodable: {sample}", "yellow")
