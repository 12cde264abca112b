"""Read YAML into plain Python values while remembering where every value came from.

PyYAML's composer gives nodes with marks (file, line); we build the Python values from those
nodes ourselves so that each key path — ("brands", "acme", "rules", 2, "priority") — maps to
the file and line that wrote it. Validation errors (pydantic's or ours) are then reported as
`file:line: brands.acme.rules[2].priority: message`.

Two deliberate departures from YAML 1.1, both classic configuration traps:
- an unquoted `18:00` stays the string "18:00" (YAML 1.1 reads it as the base-60 integer 1080);
- only true/false are booleans; `no`, `on`, `off`, `yes` stay strings (the "Norway problem":
  a language code `no` must not become False).
Duplicate keys in one mapping are refused (PyYAML would silently keep the last one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KeyPath = tuple[str | int, ...]

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SourceProblem:
    """A problem found while reading YAML (syntax, duplicate key, clash between files)."""

    location: Location
    path: KeyPath
    message: str


@dataclass
class SourceDocument:
    """Plain values of one or more YAML files plus where each key path was written."""

    data: Any
    locations: dict[KeyPath, Location] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def locate(self, path: KeyPath) -> Location:
        """The location of `path`, or of its nearest written ancestor (a missing key is
        reported at the mapping that should contain it)."""
        for end in range(len(path), -1, -1):
            found = self.locations.get(path[:end])
            if found is not None:
                return found
        return Location(self.files[0] if self.files else "<config>", 1)


def format_path(path: Iterable[str | int]) -> str:
    """("brands", "acme", "rules", 2, "priority") -> "brands.acme.rules[2].priority"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


class _Builder:
    """Turns one composed node tree into plain values, recording locations and problems."""

    def __init__(self, file: str, doc: SourceDocument) -> None:
        self.file = file
        self.doc = doc
        self.scalars = SafeConstructor()
        self.active: set[int] = set()

    def loc(self, node: Node) -> Location:
        return Location(self.file, node.start_mark.line + 1)

    def build(self, node: Node, path: KeyPath) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            self.problem(node, path, "recursive alias: a value cannot contain itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                items = []
                for index, child in enumerate(node.value):
                    self.doc.locations.setdefault(path + (index,), self.loc(child))
                    items.append(self.build(child, path + (index,)))
                return items
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.problem(node, path, f"unsupported YAML node {type(node).__name__}")
        return None

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in node.value:
            return node.value  # "18:00", not 1080
        if node.tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
            return node.value
        return self.scalars.construct_object(node, deep=True)

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, Location] = {}
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.append((key_node, value_node))
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "mapping keys must be plain scalars")
                continue
            key = self.scalar(key_node)
            if not isinstance(key, str | int) or isinstance(key, bool):
                key = str(key)
            here = self.loc(key_node)
            if key in seen:
                self.problem(
                    key_node, path + (key,), f"duplicate key {key!r} (first written at line {seen[key].line})"
                )
                continue
            seen[key] = here
            self.doc.locations[path + (key,)] = here
            result[key] = self.build(value_node, path + (key,))
        # `<<: *anchor` merges: explicit keys win, as the YAML merge-key spec says.
        for key_node, value_node in merged:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.problem(key_node, path, "'<<' must reference a mapping")
                    continue
                for key, value in self.mapping(source, path).items():
                    result.setdefault(key, value)
        return result

    def problem(self, node: Node, path: KeyPath, message: str) -> None:
        self.doc.problems.append(SourceProblem(self.loc(node), path, message))


def _read_one(text: str, file: str, doc: SourceDocument) -> Any:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        doc.problems.append(
            SourceProblem(Location(file, line), (), f"YAML syntax: {exc.problem or exc}")
        )
        return None
    except yaml.YAMLError as exc:
        doc.problems.append(SourceProblem(Location(file, 1), (), f"YAML: {exc}"))
        return None
    if len(nodes) > 1:
        doc.problems.append(
            SourceProblem(Location(file, nodes[1].start_mark.line + 1), (),
                          "one YAML document per file (found a second '---')")
        )
    if not nodes:
        return None
    return _Builder(file, doc).build(nodes[0], ())


def read_text(text: str, *, file: str = "<string>") -> SourceDocument:
    """Read one YAML text (any shape: used for config and fixtures alike)."""
    doc = SourceDocument(data=None, files=[file])
    doc.locations[()] = Location(file, 1)
    doc.data = _read_one(text, file, doc)
    return doc


def read_merged(files: list[Path], *, mergeable: frozenset[str], display_root: Path | None = None) -> SourceDocument:
    """Read several YAML files, each a mapping, into one mapping.

    Top-level keys in `mergeable` hold id → object mappings that files contribute to (one
    file per brand, say); an id defined in two files is a problem naming both. Any other
    top-level key may be written by one file only.
    """
    doc = SourceDocument(data={}, files=[_display(f, display_root) for f in files])
    if files:
        doc.locations[()] = Location(doc.files[0], 1)
    merged: dict[str, Any] = doc.data
    for path, shown in zip(files, doc.files, strict=True):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            doc.problems.append(SourceProblem(Location(shown, 1), (), f"cannot read: {exc}"))
            continue
        part = SourceDocument(data=None, files=[shown])
        part.data = _read_one(text, shown, part)
        doc.problems.extend(part.problems)
        if part.data is None:
            continue
        if not isinstance(part.data, dict):
            doc.problems.append(
                SourceProblem(Location(shown, 1), (), "a config file must be a mapping at the top level")
            )
            continue
        rejected: set[KeyPath] = set()
        for key, value in part.data.items():
            if key not in merged:
                merged[key] = value
                continue
            if key in mergeable and isinstance(merged[key], dict) and isinstance(value, dict):
                for item_id, item in value.items():
                    if item_id in merged[key]:
                        first = doc.locations[(key, item_id)]
                        doc.problems.append(
                            SourceProblem(part.locations[(key, item_id)], (key, item_id),
                                          f"defined twice: here and at {first}")
                        )
                        rejected.add((key, item_id))
                        continue
                    merged[key][item_id] = item
                continue
            first = doc.locations[(key,)]
            doc.problems.append(
                SourceProblem(part.locations[(key,)], (key,),
                              f"may be written in one file only (also at {first})")
            )
            rejected.add((key,))
        for key_path, loc in part.locations.items():
            if key_path and not (key_path[:1] in rejected or key_path[:2] in rejected):
                doc.locations.setdefault(key_path, loc)
    return doc


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)
