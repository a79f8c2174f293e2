"""One asset per configured export profile, partitioned by day, plus the job that re-exports.

Each asset is a thin call into ``wfm_connector.pipeline.export_profile``: it renders the
profile's file from the reconciled tables, numbers its generation and delivers it (with its
manifest) to every target of the profile. Metadata: generation, rows, bytes, SHA-256, one line
per target (where the files went, attempts), the local file's path, and the first rows as a
preview. Asset check ``matches_manifest``: each target's file and manifest, read back, agree
(generation, SHA-256, bytes, rows). A delivery that still fails after its retries fails the
asset, after the other targets were served, with the failures in the failure's metadata; the
sensor or the nightly re-export tries again.
"""

from pathlib import Path

import dagster as dg

from dagster_project.partitions import daily_partitions
from dagster_project.resources import DatabaseResource, ExportTargetResource, WfmConfigResource
from dagster_project.settings import settings
from wfm_connector import pipeline
from wfm_connector.config import ExportProfile
from wfm_connector.exports.publish import ExportResult
from wfm_connector.intervals import parse_day

PREVIEW_ROWS = 10

# The reconciled tables each format reads (the asset's upstream dependencies).
READS = {
    "calabrio_queue_log": ["queue_interval"],
    "calabrio_agent_log": ["agent_queue_interval", "agent_interval_activity"],
    "connect_forecast_import": ["queue_interval"],
}
# custom profiles read the table they name
TABLE_ASSETS = {
    "agent_interval_activity": ["agent_interval_activity"],
    "queue_interval": ["queue_interval"],
    "agent_queue_interval": ["agent_queue_interval"],
    "adherence_interval": ["schedule_adherence"],
    "adherence_day": ["schedule_adherence"],
    "adherence_exception": ["schedule_adherence"],
}


def asset_name(profile: ExportProfile) -> str:
    """The asset key of a profile's export."""
    return f"export_{profile.name}"


def preview(data: bytes, rows: int = PREVIEW_ROWS) -> str:
    """The file's first lines as a Markdown code block."""
    lines = data.decode("utf-8", "replace").splitlines()[:rows]
    return "```\n" + "\n".join(line.replace("```", "'''") for line in lines) + "\n```"


def delivery_metadata(result: ExportResult) -> dict[str, dg.MetadataValue]:
    """What a user checks after an export: which file, which generation, where it went."""
    meta: dict[str, dg.MetadataValue] = {
        "file": dg.MetadataValue.text(result.file.name),
        "generation": dg.MetadataValue.int(result.generation),
        "dagster/row_count": dg.MetadataValue.int(result.file.rows),
        "bytes": dg.MetadataValue.int(len(result.file.data)),
        "sha256": dg.MetadataValue.text(result.file.sha256),
        "preview": dg.MetadataValue.md(preview(result.file.data)),
    }
    for d in result.deliveries:
        status = "delivered" if d.ok else f"FAILED: {d.error}"
        meta[f"target {d.target}"] = dg.MetadataValue.text(
            f"{status} ({d.attempts} attempt{'s' if d.attempts != 1 else ''}): "
            + ", ".join(d.locations)
        )
        local = [loc for loc in d.locations if loc.startswith("/") and not loc.endswith(".json")]
        if local:
            meta[f"path {d.target}"] = dg.MetadataValue.path(Path(local[0]))
    if result.file.left_out:
        meta["left_out"] = dg.MetadataValue.json(result.file.left_out)
    return meta


def build_export_asset(profile: ExportProfile) -> dg.AssetsDefinition:
    """The asset that exports ``profile`` for a day."""

    @dg.asset(
        name=asset_name(profile),
        group_name="export",
        partitions_def=daily_partitions,
        deps=READS.get(profile.format) or TABLE_ASSETS[profile.table or ""],
        kinds={"csv"},
        description=f"{profile.format} file of profile {profile.name!r}, delivered to "
        f"{', '.join(profile.targets)} with its manifest.",
        check_specs=[dg.AssetCheckSpec(
            "matches_manifest", asset=asset_name(profile),
            description="At every target, the file and manifest read back agree: the "
            "manifest's generation is this export's, and the file's SHA-256, bytes and rows "
            "are the manifest's.")],
    )  # fmt: skip
    def _export(
        context: dg.AssetExecutionContext,
        wfm_config: WfmConfigResource,
        database: DatabaseResource,
        export_target: ExportTargetResource,
    ) -> dg.MaterializeResult:
        cfg = wfm_config.get()
        window = pipeline.window_for(cfg, parse_day(context.partition_key))
        with database.get_connection() as conn:
            result = pipeline.export_profile(
                conn, cfg, window, profile.name, folders=export_target.folders(), verify=True
            )
        meta = delivery_metadata(result)
        if not result.ok:
            failed = ", ".join(d.target for d in result.failed)
            raise dg.Failure(
                description=f"{profile.name}: delivery failed to {failed}; "
                + "; ".join(d.error or "" for d in result.failed),
                metadata=meta,
            )
        read_back = result.read_back
        assert read_back is not None  # verify=True
        return dg.MaterializeResult(metadata=meta, check_results=[dg.AssetCheckResult(
            check_name="matches_manifest", passed=read_back.passed,
            description=read_back.description, metadata=read_back.metadata)])  # fmt: skip

    return _export


export_assets = [build_export_asset(p) for p in settings().export_profiles]

reexport_job = dg.define_asset_job(
    "reexport_job",
    selection=dg.AssetSelection.groups("export"),
    partitions_def=daily_partitions,
    description="Render and deliver every export profile's files for one day again (no ingest).",
)
