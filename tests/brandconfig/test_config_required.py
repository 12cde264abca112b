"""No brand config named, no start: the runtime has no built-in brand config to fall back on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mentionflow.brandconfig import BrandConfigNotSet, ConfigError, default_config_path
from mentionflow.brandconfig.loader import CONFIG_PATH_ENV
from mentionflow.service import EXIT_BAD_CONFIG


def test_the_config_path_is_the_variable_or_an_error_naming_it(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setenv(CONFIG_PATH_ENV, str(tmp_path))
    assert default_config_path() == tmp_path
    for unset in (None, ""):
        if unset is None:
            monkeypatch.delenv(CONFIG_PATH_ENV)
        else:
            monkeypatch.setenv(CONFIG_PATH_ENV, unset)
        with pytest.raises(BrandConfigNotSet) as raised:
            default_config_path()
        assert isinstance(raised.value, ConfigError)  # services already stop on a refused config
        assert str(raised.value).startswith("MENTIONFLOW_BRAND_CONFIG is not set")


@pytest.mark.parametrize("service", ["routing", "ingest"])
def test_a_service_without_a_brand_config_refuses_to_start(service: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != CONFIG_PATH_ENV}
    env["MENTIONFLOW_LOG_JSON"] = "false"
    result = subprocess.run([sys.executable, "-m", f"mentionflow_{service}.main"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == EXIT_BAD_CONFIG, result.stderr[-2000:]
    assert "MENTIONFLOW_BRAND_CONFIG is not set" in result.stderr
    assert "Traceback" not in result.stderr
