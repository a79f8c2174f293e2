"""The fault-injection suite's summary, printed at the end of ``make test``."""

from __future__ import annotations

from tests.faults.summary import SUMMARY


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's hook
    if SUMMARY["faults tried"]:
        line = ", ".join(f"{k}: {v:,}" for k, v in SUMMARY.items())
        terminalreporter.write_line(f"fault injection: {line}")
