"""Assembles the Dagster definitions: assets, job, schedules and resources."""

import dagster as dg

from dagster_project import assets
from dagster_project.export_assets import export_assets, reexport_job
from dagster_project.jobs import wfm_daily_job
from dagster_project.purge import purge_job, purge_schedule
from dagster_project.resources import (
    ConnectSourceResource,
    DatabaseResource,
    ExportTargetResource,
    WfmConfigResource,
)
from dagster_project.schedules import (
    finalise_yesterday_schedule,
    reexport_yesterday_schedule,
    refresh_today_schedule,
)
from dagster_project.sensors import new_data_sensor


def build_resources(
    config_path: str = "", database_url: str = ""
) -> dict[str, dg.ConfigurableResource]:
    """The resources, optionally pointed at another config file or database."""
    wfm_config = WfmConfigResource(config_path=config_path)
    return {
        "wfm_config": wfm_config,
        "database": DatabaseResource(url=database_url),
        "connect_source": ConnectSourceResource(config=wfm_config),
        "export_target": ExportTargetResource(config=wfm_config),
    }


defs = dg.Definitions(
    assets=[*dg.load_assets_from_modules([assets]), *export_assets],
    jobs=[wfm_daily_job, reexport_job, purge_job],
    schedules=[
        refresh_today_schedule,
        finalise_yesterday_schedule,
        reexport_yesterday_schedule,
        purge_schedule,
    ],
    sensors=[new_data_sensor],
    resources=build_resources(),
)
