"""Configuration problems as people read them: `file:line: key.path: message`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from mentionflow.brandconfig.yamlsource import KeyPath, SourceDocument, format_path

Severity = Literal["error", "warning"]

# pydantic reports a pattern mismatch by quoting the regex; say what the pattern means instead.
_PATTERN_MEANING = {
    r"^[a-z0-9][a-z0-9_-]{0,99}$": "ids are lower-case letters, digits, '-' and '_' (at most 100)",
    r"^@?[A-Za-z0-9_]{1,15}$": "an X handle is 1-15 letters, digits or '_' (optional '@')",
    r"^[a-z]{2,3}$": "a language is a 2-3 letter ISO 639 code in lower case (fr, en)",
    r"^\d{1,20}$": "an X user id is digits only",
    r"^[A-Za-z0-9][A-Za-z0-9:_./-]{0,63}$": "a tag is letters, digits and : _ . / - (at most 64)",
}


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.file}:{self.line}: {prefix}{self.path}: {self.message}"


class ConfigError(ValueError):
    """The configuration was refused; `problems` lists every error found (not just the first)."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"invalid configuration ({count} problem{'s' if count != 1 else ''}):\n"
            + "\n".join(str(p) for p in self.problems)
        )


def problem_at(doc: SourceDocument, path: KeyPath, message: str, severity: Severity = "error") -> ConfigProblem:
    location = doc.locate(path)
    return ConfigProblem(location.file, location.line, format_path(path), message, severity)


def problems_from_validation(exc: ValidationError, doc: SourceDocument) -> list[ConfigProblem]:
    """Map pydantic's errors to the file and line that wrote the offending value."""
    problems = []
    for err in exc.errors(include_url=False):
        path, missing_key = _data_path(doc.data, err["loc"], err["type"])
        shown = path + ((missing_key,) if missing_key is not None else ())
        location = doc.locate(path)
        problems.append(
            ConfigProblem(location.file, location.line, format_path(shown), _message(err))
        )
    return problems


def _data_path(data: Any, loc: tuple[Any, ...], kind: str) -> tuple[KeyPath, str | None]:
    """Follow pydantic's location through the actual data. Parts that are not in the data are
    union tags ('pagerduty'), '[key]' markers or, for a missing field, the field's name."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
    last = loc[-1] if loc else None
    missing = last if kind == "missing" and isinstance(last, str) else None
    return tuple(path), missing


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "string_pattern_mismatch":
        meaning = _PATTERN_MEANING.get(err.get("ctx", {}).get("pattern", ""))
        if meaning:
            return f"{meaning}, got {err['input']!r}"
    msg: str = err["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (not part of the config format; check the spelling)"
    msg = msg.removeprefix("Value error, ")
    value = err.get("input")
    if kind not in ("value_error",) and isinstance(value, str | int | float | bool) and value is not None:
        msg += f" (got {value!r})"
    return msg
