"""Load and validate the agency configuration from a YAML file or a folder of YAML files.

A folder is read recursively (`*.yaml`, `*.yml`, sorted by path), except its `fixtures/`
folders, which hold rule examples for `mentionflow rules test`, not configuration. Files merge
at the top level: `brands`, `teams`, `queues`, `people`, `channels`, `rotations` and
`escalation_policies` are id → object maps any file may add to (one file per brand reads
well); other top-level keys belong to one file.

Loading is all-or-nothing: every problem found (YAML syntax, schema, cross references) is
collected and raised together in one ConfigError, each as `file:line: key.path: message`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from pydantic import ValidationError

from mentionflow.brandconfig import crossref
from mentionflow.brandconfig.errors import (
    ConfigError,
    ConfigProblem,
    problem_at,
    problems_from_validation,
)
from mentionflow.brandconfig.models import MERGEABLE_SECTIONS, AgencyConfig
from mentionflow.brandconfig.yamlsource import SourceDocument, format_path, read_merged, read_text

log = logging.getLogger(__name__)

FIXTURES_DIR = "fixtures"
CONFIG_PATH_ENV = "MENTIONFLOW_BRAND_CONFIG"


@dataclass
class LoadResult:
    """Outcome of reading a config: the model when there were no errors, plus every finding."""

    config: AgencyConfig | None
    errors: list[ConfigProblem] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class BrandConfigNotSet(ConfigError):
    """No brand config was named. A service refuses to start rather than guess one: a routing
    service that silently read demo rules would route an agency's mentions with them."""

    def __init__(self) -> None:
        super().__init__([ConfigProblem(f"${CONFIG_PATH_ENV}", 0, "<environment>", "not set")])
        self.args = (
            f"{CONFIG_PATH_ENV} is not set: set it to the brand config file or folder "
            "(no configuration is assumed)",
        )


def default_config_path() -> Path:
    """The brand config named by $MENTIONFLOW_BRAND_CONFIG; raises BrandConfigNotSet (a
    ConfigError) when the variable is unset or empty. There is no built-in default."""
    from_env = os.environ.get(CONFIG_PATH_ENV)
    if not from_env:
        raise BrandConfigNotSet()
    return Path(from_env)


def config_files(path: Path) -> list[Path]:
    """The YAML files making up the config at `path` (a file, or a folder read recursively)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no config file or folder at {path}")
    files = []
    for candidate in sorted(path.rglob("*")):
        relative = candidate.relative_to(path).parts
        if FIXTURES_DIR in relative[:-1] or any(p.startswith(".") for p in relative):
            continue
        if candidate.is_file() and candidate.suffix in (".yaml", ".yml"):
            files.append(candidate)
    return files


def read_config(path: str | Path, *, display_root: Path | None = None) -> LoadResult:
    """Read and validate without raising: for `config check`, which shows every finding."""
    path = Path(path)
    try:
        files = config_files(path)
    except FileNotFoundError as exc:
        return LoadResult(None, [ConfigProblem(str(path), 0, "<root>", str(exc))])
    if not files:
        return LoadResult(None, [ConfigProblem(str(path), 0, "<root>", "no *.yaml files in this folder")])
    doc = read_merged(files, mergeable=MERGEABLE_SECTIONS, display_root=display_root or Path.cwd())
    return validate_document(doc)


def validate_document(doc: SourceDocument) -> LoadResult:
    """Schema and cross-reference validation of already-read YAML."""
    result = LoadResult(None, files=list(doc.files))
    result.errors = [
        ConfigProblem(p.location.file, p.location.line, format_path(p.path), p.message)
        for p in doc.problems
    ]
    if result.errors:
        # Syntax-level problems make the merged data unreliable: do not pile schema noise on top.
        return result
    if not isinstance(doc.data, dict):
        result.errors.append(problem_at(doc, (), "the configuration must be a mapping"))
        return result
    try:
        config = AgencyConfig.model_validate(doc.data)
    except ValidationError as exc:
        result.errors = _sorted(problems_from_validation(exc, doc))
        return result
    for finding in crossref.check(config):
        target = result.errors if finding.severity == "error" else result.warnings
        target.append(problem_at(doc, finding.path, finding.message, finding.severity))
    result.errors = _sorted(result.errors)
    result.warnings = _sorted(result.warnings)
    if result.errors:
        return result
    config._version = _content_version(doc)
    config._sources = tuple(doc.files)
    result.config = config
    return result


def load_config(path: str | Path, *, display_root: Path | None = None) -> AgencyConfig:
    """The validated config at `path`; raises ConfigError listing every problem. Warnings
    (unreachable rules, unused queues) are logged, not raised."""
    result = read_config(path, display_root=display_root)
    return _accept(result)


def load_config_text(text: str, *, file: str = "<string>") -> AgencyConfig:
    """Validate one YAML text (tests, examples)."""
    return _accept(validate_document(read_text(text, file=file)))


def _accept(result: LoadResult) -> AgencyConfig:
    if result.errors or result.config is None:
        raise ConfigError(result.errors)
    for warning in result.warnings:
        log.warning("config %s", warning)
    log.info(
        "loaded config %s from %d file(s): %d brands, %d queues, %d rotations",
        result.config.version, len(result.files), len(result.config.brands),
        len(result.config.queues), len(result.config.rotations),
    )
    return result.config


def _content_version(doc: SourceDocument) -> str:
    """A short hash of the merged content: equal configs give equal versions, whatever the
    file layout or comments."""
    blob = orjson.dumps(doc.data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


def _sorted(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    return sorted(problems, key=lambda p: (p.file, p.line, p.path))
