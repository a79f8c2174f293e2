"""Exported text is safe: RFC 4180 quoting, no formulas, no line breaks inside a record."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from tests.test_connect_parity import QUEUE, QUEUE_2, RENAMED, config, reconcile
from wfm_connector.exports import calabrio_queue_log, values

HOSTILE = ['=HYPERLINK("x")', '"Sales', "Sales\u2028Team", "Support\x85Desk", "+1 Billing",
           "@agent", "-Returns", "\tTabbed", "Semi;colon"]  # fmt: skip


def test_each_value_is_cleaned_and_quoted_only_where_needed():
    text, count = values.delimited([[name, -5, Decimal("1.50"), None] for name in HOSTILE], ";")
    assert count == len(HOSTILE)
    assert text.splitlines() == [
        "\"'=HYPERLINK(\"\"x\"\")\";-5;1.50;",  # disarmed, then quoted: it holds quotes
        '"""Sales";-5;1.50;',  # a leading quote is doubled inside quotes
        "Sales Team;-5;1.50;",  # U+2028 is a space, not a line end
        "Support Desk;-5;1.50;",  # U+0085 (NEL) too
        "'+1 Billing;-5;1.50;",
        "'@agent;-5;1.50;",
        "'-Returns;-5;1.50;",  # text starting with '-' is disarmed; the number -5 is not
        "' Tabbed;-5;1.50;",  # tab -> space, and a formula starter after spaces still counts
        '"Semi;colon";-5;1.50;',
    ]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in rows] == [
        "'=HYPERLINK(\"x\")", '"Sales', "Sales Team", "Support Desk", "'+1 Billing", "'@agent",
        "'-Returns", "' Tabbed", "Semi;colon"]  # fmt: skip


def test_neutralising_can_be_switched_off_but_cleaning_cannot():
    text, _ = values.delimited([["=1+1\u2029x"]], ",", neutralise=False)
    assert text == "=1+1 x\n"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("first", "second"),
    [('=HYPERLINK("x")', '"Sales'), ("Sales\u2028Team", "Support;Desk")],
)
def test_the_calabrio_queue_log_reads_back_record_for_record(db, tmp_path, first, second):
    cfg = config(tmp_path)
    window = reconcile(db, cfg, ctrs=RENAMED)
    for arn, name in ((QUEUE, first), (QUEUE_2, second)):
        db.execute("UPDATE wfm.queue SET queue_name = %s WHERE queue_arn = %s", (name, arn))
    data, rows = calabrio_queue_log.render(db, window, cfg.export_profiles[0], cfg)
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";"))
    # two queues x 96 quarter hours, 21 fields each, every name read back as written
    assert rows == len(records) == 2 * 96
    assert {len(r) for r in records} == {21}
    names = {values.clean_text(first), values.clean_text(second)}
    assert {r[4] for r in records} == names
    assert not any(n.startswith("=") for n in names)  # never a formula
