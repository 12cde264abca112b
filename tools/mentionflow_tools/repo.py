"""Where things are in a checkout of the repository. Only the operator tools know this; the
runtime is installed into service images without the repository around it."""

from __future__ import annotations

import os
from pathlib import Path

# tools/mentionflow_tools/repo.py → the repository root is two folders up.
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO_ROOT / "deploy" / "config" / "demo"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def brand_config_or_demo() -> Path:
    """The brand config an operator command reads when given none: $MENTIONFLOW_BRAND_CONFIG,
    else the demo config of this checkout. (Services have no such default: they refuse to start.)"""
    from mentionflow.brandconfig.loader import CONFIG_PATH_ENV  # pydantic & co.: not at CLI start-up

    configured = os.environ.get(CONFIG_PATH_ENV)
    return Path(configured) if configured else DEMO_CONFIG
