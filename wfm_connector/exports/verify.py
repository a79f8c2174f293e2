"""Reading an export back from where it went: is what a WFM system picks up what was sent?

In: a profile's :class:`~wfm_connector.exports.publish.ExportResult` and a way to build its
targets (as the delivery built them). Out: a :class:`~wfm_connector.checks.Outcome`, passed
when at every target that took the files, the data file and manifest read back agree: the
manifest's generation is this export's, and the file's SHA-256, size and row count (its CSV
records after the header lines, read with the format's delimiter) are the manifest's. A file
that cannot be read back fails the check with the reason; delivery failures are the export's
own error, not this check's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable

import orjson

from wfm_connector.checks import Outcome
from wfm_connector.exports.publish import ExportResult
from wfm_connector.exports.rendered import Rendered
from wfm_connector.exports.targets import Target


def count_rows(data: bytes, file: Rendered) -> int:
    """The data rows of a delimited file: its CSV records after the header lines."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=file.delimiter)
    return max(sum(1 for _ in reader) - file.header_lines, 0)


def _problems(result: ExportResult, data: bytes, manifest_raw: bytes) -> list[str]:
    manifest = orjson.loads(manifest_raw)
    [entry] = [f for f in manifest.get("files", []) if f.get("name") == result.file.name] or [{}]
    found = {"generation": manifest.get("generation"), "sha256": hashlib.sha256(data).hexdigest(),
             "bytes": len(data), "rows": count_rows(data, result.file)}  # fmt: skip
    wanted = {"generation": result.generation, "sha256": entry.get("sha256"),
              "bytes": entry.get("bytes"), "rows": entry.get("rows")}  # fmt: skip
    return [f"{k} {found[k]} where the manifest says {wanted[k]}"
            for k in found if found[k] != wanted[k]]  # fmt: skip


def delivered_match_manifest(result: ExportResult, build: Callable[[str], Target]) -> Outcome:
    """Read the file and manifest back from each target that took them, and compare."""
    names = [result.file.name, f"{result.file.name}.manifest.json"]
    failures: list[str] = []
    checked = []
    for delivery in result.deliveries:
        if not delivery.ok:
            continue
        try:
            data, manifest_raw = build(delivery.target).fetch(result.profile, names)
            problems = _problems(result, data, manifest_raw)
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the finding
            problems = [f"cannot read it back ({type(exc).__name__}: {exc})"]
        checked.append(delivery.target)
        failures += [f"{delivery.target}: {p}" for p in problems]
    summary = (f"{result.file.name} generation {result.generation}, {result.file.rows:,} rows, "
               f"sha256 {result.file.sha256[:12]}…")  # fmt: skip
    if failures:
        return Outcome(False, f"{summary}: " + "; ".join(failures),
                       {"targets": checked, "problems": failures})  # fmt: skip
    return Outcome(True, f"{summary}: read back from {', '.join(checked) or 'no target'} "
                   "and matching its manifest", {"targets": checked})  # fmt: skip
