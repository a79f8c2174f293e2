"""The built-in export formats: profile ``format`` -> the function that renders a day's file.

Each takes (connection, day window, profile, configuration) and returns a
:class:`~wfm_connector.exports.rendered.Rendered`; delivery and manifests are
:mod:`wfm_connector.exports.publish`'s business.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from wfm_connector.config import ExportProfile, WfmConfig
from wfm_connector.exports import (
    calabrio_agent_log,
    calabrio_queue_log,
    connect_forecast_import,
    custom_csv,
)
from wfm_connector.exports.rendered import Rendered
from wfm_connector.intervals import DayWindow

Builder = Callable[[psycopg.Connection, DayWindow, ExportProfile, WfmConfig], Rendered]

FORMATS: dict[str, Builder] = {
    "calabrio_queue_log": calabrio_queue_log.build,
    "calabrio_agent_log": calabrio_agent_log.build,
    "connect_forecast_import": connect_forecast_import.build,
    "iex_agent_activity": custom_csv.build,
    "custom_csv": custom_csv.build,
}
