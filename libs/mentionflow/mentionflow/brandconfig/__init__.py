"""The brand configuration: agency, brands, teams, queues, rules, SLAs, on-call, escalation.

    config = load_config("deploy/config/demo")      # raises ConfigError (file:line: key: msg)
    config.brands_for_handle("@Hexafone")           # -> ("hexafone",)

Models are in `models`, whole-config checks in `crossref`, YAML reading with line numbers in
`yamlsource`, loading in `loader`.
"""

from mentionflow.brandconfig.errors import ConfigError, ConfigProblem
from mentionflow.brandconfig.loader import (
    BrandConfigNotSet,
    LoadResult,
    config_files,
    default_config_path,
    load_config,
    load_config_text,
    read_config,
)
from mentionflow.brandconfig.models import (
    AgencyConfig,
    Brand,
    EscalationPolicy,
    Rule,
    RuleAction,
    SlaTarget,
    normalize_handle,
)


def brands_for_handle(config: AgencyConfig, handle: str) -> tuple[str, ...]:
    """Brand ids owning the X handle (case-insensitive, with or without '@'); empty if none."""
    return config.brands_for_handle(handle)


__all__ = [
    "AgencyConfig",
    "Brand",
    "BrandConfigNotSet",
    "ConfigError",
    "ConfigProblem",
    "EscalationPolicy",
    "LoadResult",
    "Rule",
    "RuleAction",
    "SlaTarget",
    "brands_for_handle",
    "config_files",
    "default_config_path",
    "load_config",
    "load_config_text",
    "normalize_handle",
    "read_config",
]
