"""The Dagster UI in a real browser, as a WFM analyst uses it (Playwright driving chromium).

The demo day runs once from the command line (``wfm-connector demo``); then the UI (the
webserver and the daemon, as ``make dev`` starts them, on a loopback port) opens the asset
graph, materialises the same day from there, and the test checks what a user looks at: the
asset checks passed, the queue asset's day table and heatmap image render, and both runs,
the command's and the UI's, are in the run list and on the timeline. Screenshots of each page
are saved in the test's output folder (printed at the end).

Needs Debian's ``chromium`` (the README's set-up and CI install it; Playwright's own browser
download is not reachable here); without it the test is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.conftest import PROJECT_ROOT, _free_port, empty_wfm_tables
from wfm_connector.db.connection import libpq_url

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt install chromium)"),
]
DAY = "2026-11-02"
BIN = Path(sys.executable).parent
RUNS = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"
CHECKS = ("{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { "
          "name executionForLatestMaterialization { status } } } } } }")


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["data"]


def _runs(base: str) -> list[dict]:
    return _graphql(base, RUNS)["runsOrError"]["results"]


@pytest.fixture
def ui(tmp_path: Path, database_url: str) -> Iterator[tuple[str, Path]]:
    """The demo day run from the command line, then the UI on a free loopback port.

    The database starts empty: what earlier tests of this worker left (their own contacts of
    the same day) must not reach the demo's checks.
    """
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        empty_wfm_tables(conn)
    config = yaml.safe_load((PROJECT_ROOT / "config" / "demo.yaml").read_text())
    for source in config["sources"].values():
        source["path"] = str(tmp_path / "data")
    config["schedules"]["source"]["path"] = str(tmp_path / "data" / "schedule.csv")
    config["export_targets"]["local"]["path"] = str(tmp_path / "exports")
    (tmp_path / "wfm.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"),
           "WFM_CONFIG": str(tmp_path / "wfm.yaml"), "WFM_DATABASE_URL": database_url}  # fmt: skip
    subprocess.run([BIN / "wfm-connector", "demo", "--agents", "5", "--day", DAY], env=env,
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=300)  # fmt: skip
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = [
        subprocess.Popen(  # noqa: S603 - our own console scripts
            [BIN / name, *args, "-w", "workspace.yaml"], env=env, cwd=PROJECT_ROOT,
            stdout=(logs / f"{name}.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        for name, args in (("dagster-daemon", ["run"]),
                           ("dagster-webserver", ["-h", "127.0.0.1", "-p", str(port)]))  # fmt: skip
    ]
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/server_info", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the webserver did not answer: see {logs}") from None
                time.sleep(1)
        yield base, tmp_path
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_the_ui_shows_checks_queue_table_heatmap_and_both_runs(ui):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    base, out = ui
    shots = out / "screenshots"
    shots.mkdir()
    [cli_run] = _runs(base)
    assert {t["key"]: t["value"] for t in cli_run["tags"]}["wfm/launched_by"] == "cli"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.set_default_timeout(60_000)
        # Dagster's first-visit newsletter dialog, whenever it appears: "Skip", as a user would
        page.add_locator_handler(page.get_by_text("Join the Dagster community"),
                                 lambda: page.get_by_role("button", name="Skip").click())

        def visit(path: str, shot: str) -> None:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=shots / f"{shot}.png")

        # the asset graph; materialise the demo day from it, as a user would. The newsletter
        # dialog comes a moment after the first page: dismissed before the launch dialog opens
        # (the two at once block each other's buttons)
        visit("/asset-groups", "1-asset-graph")
        newsletter = page.get_by_text("Join the Dagster community")
        try:
            newsletter.wait_for(timeout=20_000)
            page.get_by_role("button", name="Skip").click()
            newsletter.wait_for(state="hidden")
        except PlaywrightTimeout:
            pass  # not shown this time
        page.get_by_role("button", name="Materialize all…").click()
        dialog = page.locator("[role=dialog]")
        partitions = dialog.get_by_placeholder("No matching partitions")
        partitions.fill(DAY)
        partitions.press("Enter")
        dialog.get_by_role("button", name="Launch 1 run").click()
        expect(dialog).to_be_hidden()
        deadline = time.monotonic() + 420
        while len(runs := _runs(base)) < 2 or runs[0]["status"] not in ("SUCCESS", "FAILURE"):
            assert time.monotonic() < deadline, f"the UI's run did not end: {runs}"
            time.sleep(3)
        assert runs[0]["status"] == "SUCCESS", runs[0]
        ui_run = runs[0]["runId"]

        # both runs in the run list, the command's tagged as such
        visit("/runs", "2-runs")
        expect(page.get_by_text(ui_run[:8], exact=True)).to_be_visible()
        expect(page.get_by_text(cli_run["runId"][:8], exact=True)).to_be_visible()
        expect(page.get_by_text("wfm/launched_by: cli")).to_be_visible()

        # and on the timeline, in the code location: the command's run as wfm_daily_job (a run
        # without the location's origin is left off), the UI's as "Jobless asset
        # materializations" (Dagster's name for a launch of selected assets)
        visit("/overview/timeline", "3-timeline")
        expect(page.get_by_role("link", name="wfm_daily_job")).to_be_visible()
        expect(page.get_by_text("Jobless asset materializations").first).to_be_visible()

        # the asset checks passed: each shown as passed on its asset's Checks tab
        for asset, check in (("agent_events_raw", "quarantine_rate"),
                             ("agent_interval_activity", "activity_seconds_sum_to_online"),
                             ("queue_interval", "queue_outcomes_within_queued"),
                             ("export_demo", "matches_manifest")):  # fmt: skip
            visit(f"/assets/{asset}?view=checks", f"4-checks-{asset}")
            expect(page.get_by_text("Passed").first).to_be_visible()
            text = page.inner_text("body")
            assert check in text and "Failed" not in text

        # and so did every other (each export's read-back among them), as the UI has them
        checks = _graphql(base, CHECKS)["assetNodes"]
        outcomes = {(n["assetKey"]["path"][0], c["name"]):
                    c["executionForLatestMaterialization"]["status"]
                    for n in checks for c in n["assetChecksOrError"].get("checks") or []}  # fmt: skip
        assert len(outcomes) == 13 and set(outcomes.values()) == {"SUCCEEDED"}, outcomes
        assert outcomes[("queue_interval", "agrees_with_contact_events")] == "SUCCEEDED"

        # the queue asset's day: the table by queue, and the heatmap as an image
        visit(f"/assets/queue_interval?view=partitions&partition={DAY}", "5-queue-day")
        expect(page.get_by_text("SL 20s %")).to_be_visible()
        page.get_by_text("[Show Markdown]").first.click()
        image = page.locator("img[alt='queue heatmap']")
        expect(image).to_be_visible()
        width = image.evaluate("i => i.complete ? i.naturalWidth : 0")
        assert width == 960
        page.screenshot(path=shots / "6-queue-heatmap.png")

        # today per queue from the contact events: the day seen at its end, nobody waiting
        visit(f"/assets/queue_intraday?view=partitions&partition={DAY}", "7-queue-intraday")
        expect(page.get_by_text("in queue now").first).to_be_visible()
        expect(page.get_by_text("As of 2026-11-02 23:59:59").first).to_be_visible()
        browser.close()
    print(f"screenshots: {shots}")
