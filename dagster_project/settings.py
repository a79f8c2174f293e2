"""The connector configuration as Dagster sees it at definition load (a file read, no I/O else)."""

from functools import cache

from wfm_connector.config import WfmConfig, default_config_path, load_config


@cache
def settings() -> WfmConfig:
    """``WFM_CONFIG`` (or the default path), validated."""
    return load_config(default_config_path())
