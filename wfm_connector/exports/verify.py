"""Reading an export back from where it went: is what a WFM system picks up what was sent?

In: a profile's :class:`~wfm_connector.exports.publish.ExportResult` and a way to reach its
targets (the ones the delivery used). Out: a :class:`~wfm_connector.checks.Outcome`, passed
when at every target that took the files, the data file and manifest read back agree: the
manifest's generation is this export's, and the file's SHA-256, size and row count (its CSV
records after the header lines, read with the format's delimiter) are the manifest's.

Run by :func:`~wfm_connector.exports.publish.export_profile` under the profile-day's export
lock, so a concurrent re-export cannot interleave. Each file is read up to one byte more than
was sent (a file swapped for something endless cannot hang the run). A file or manifest no
longer there counts as picked up (WFM drop folders are often emptied by the importer) and is
reported as such, not as a failure; a target that cannot be read fails the check with the
reason. Delivery failures are the export's own error, not this check's.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from wfm_connector.checks import Outcome
from wfm_connector.exports.rendered import Rendered

if TYPE_CHECKING:
    from wfm_connector.exports.publish import ExportResult
    from wfm_connector.exports.targets import Target


def count_rows(data: bytes, file: Rendered) -> int:
    """The data rows of a delimited file: its CSV records after the header lines."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=file.delimiter)
    return max(sum(1 for _ in reader) - file.header_lines, 0)


def _problems(result: ExportResult, data: bytes, manifest_raw: bytes) -> list[str]:
    manifest = orjson.loads(manifest_raw)
    problems = []
    if manifest.get("generation") != result.generation:
        problems.append(f"its manifest is generation {manifest.get('generation')}, "
                        f"this export's is {result.generation}")  # fmt: skip
    [entry] = [f for f in manifest.get("files", []) if f.get("name") == result.file.name] or [{}]
    if isinstance(entry.get("bytes"), int) and len(data) > entry["bytes"]:  # read no further
        return [*problems, f"the file is longer than the {entry['bytes']:,} bytes its manifest "
                "says"]  # fmt: skip
    found = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
             "rows": count_rows(data, result.file)}  # fmt: skip
    problems += [f"the file's {k} is {v} where its manifest says {entry.get(k)}"
                 for k, v in found.items() if v != entry.get(k)]  # fmt: skip
    return problems


def delivered_match_manifest(
    result: ExportResult, target: Callable[[str], Target], manifest: bytes
) -> Outcome:
    """Read the file and its manifest back from each target that took them, and compare."""
    name = result.file.name
    failures: list[str] = []
    checked, gone = [], []
    for delivery in result.deliveries:
        if not delivery.ok:
            continue
        where = target(delivery.target)
        try:
            data = where.fetch(result.profile, name, len(result.file.data) + 1)
            there = where.fetch(result.profile, f"{name}.manifest.json", len(manifest) + 1)
            problems = [] if data is None or there is None else _problems(result, data, there)
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the finding
            data = there = b""
            problems = [f"cannot read it back ({type(exc).__name__}: {exc})"]
        (gone if data is None or there is None else checked).append(delivery.target)
        failures += [f"{delivery.target}: {p}" for p in problems]
    summary = (f"{name} generation {result.generation}, {result.file.rows:,} rows, "
               f"sha256 {result.file.sha256[:12]}…")  # fmt: skip
    meta = {"targets": checked, "picked_up": gone}
    if failures:
        return Outcome(False, f"{summary}: " + "; ".join(failures), {**meta, "problems": failures})
    text = f"read back from {', '.join(checked)} and matching its manifest" if checked else ""
    if gone:
        text += ("; " if text else "") + f"already picked up from {', '.join(gone)}"
    return Outcome(True, f"{summary}: {text or 'no target took it'}", meta)
