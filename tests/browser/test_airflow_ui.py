"""The pipeline as a person runs it: headless Chromium drives the Airflow 3 UI of `airflow standalone` (the stack
`make airflow` starts: moto S3, the local Personalize engine, scheduler, triggerer, dag-processor, api-server).

It signs in on the login page, opens `personalize_lms`, triggers a run through the Params form (training mode and
force retrain set in the form), watches a task sit in `deferred` (the engine's jobs last a few seconds, so the
waits are handed to the triggerer), waits for the run to succeed, and follows the "Promotion report" and "Run
summary" extra links to the pages in S3. The REST API cross-checks what the UI shows. Screenshots of every step go
to var/screenshots/browser/ (PERSONALIZE_DOCS_SCREENSHOTS=1 also refreshes the README's docs/screenshots/).

Chromium is Debian's package (`make browser`, a step of `make test`, installs it); a missing browser fails the test
unless PERSONALIZE_SKIP_BROWSER=1 says to skip it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PERSONALIZE_CHROMIUM", "/usr/bin/chromium"))
SHOTS = REPO / "var" / "screenshots" / "browser"
DOCS_SHOTS = REPO / "docs" / "screenshots"
# The README's pictures: a small set of the steps.
DOCS_SET = ("03-trigger-form.png", "04-deferred.png", "05-run-succeeded.png", "06-report-link.png",
            "07-report.png", "11-rollback-form.png", "12-rollback-done.png")
DAG_ID = "personalize_lms"
# Flags for a root user on a machine with no network beyond loopback: no sandbox (root), no GPU, and nothing that
# phones home (QUIC, component updates, sync, background fetches).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Every local Personalize job lasts this long: long enough for the UI to show the deferred tasks, short enough to
# keep the run (about 10 waits in a row) quick.
MIN_JOB_SECONDS = "5"
RUN_TIMEOUT_S = 420
UI_TIMEOUT_MS = 30_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("PERSONALIZE_SKIP_BROWSER") == "1":
        pytest.skip("PERSONALIZE_SKIP_BROWSER=1: browser test skipped")
    pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium) or set "
                "PERSONALIZE_SKIP_BROWSER=1 to skip the browser test", pytrace=False)


class Api:
    """The REST API with the admin's token (the cross-check of what the UI shows)."""

    def __init__(self, base: str, password: str) -> None:
        self.base = base
        body = json.dumps({"username": "admin", "password": password}).encode()
        request = urllib.request.Request(f"{base}/auth/token", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            self.token = json.load(answer)["access_token"]

    def get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.base}/api/v2{path}", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def task_states(self, run_path: str) -> dict[str, str | None]:
        return {ti["task_id"]: ti["state"] for ti in self.get(f"{run_path}/taskInstances?limit=200")["task_instances"]}

    def wait(self, what: str, check: Callable[[], Any], timeout: float, every: float = 2) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = check()
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise
                found = None
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(every)


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _require_chromium()
    from personalize_dev.sample_data import generate_database
    from personalize_dev.standalone import standalone_stack
    from personalize_local.stack import free_port

    root = tmp_path_factory.mktemp("ui")
    db = root / "lms.db"
    generate_database(db, n_events=25_000, seed=5)
    # The default config, unscheduled: unpausing a @daily DAG would also start a scheduled run next to ours.
    config = yaml.safe_load((REPO / "include" / "config" / "lms.yaml").read_text())
    config["schedule"] = None
    (root / "config").mkdir()
    (root / "config" / "lms.yaml").write_text(yaml.safe_dump(config))
    with standalone_stack(
        root / "airflow", db, free_port(), engine_env={"PERSONALIZE_LOCAL_MIN_JOB_SECONDS": MIN_JOB_SECONDS},
        PERSONALIZE_PIPELINE_CONFIG_DIR=str(root / "config"),
        # Not the test suite's unit-test mode (tests/conftest.py): there every component would make up its own JWT
        # secret, and the api-server would reject the tokens the scheduler hands to its task processes.
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        # The DAG file does not change during the test: no re-parsing every 30 s next to the run.
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="600",
        # Free ports for the log servers too (8793/8794 by default): a `make airflow` may be running.
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def shots() -> Iterator[Path]:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    yield SHOTS
    if os.environ.get("PERSONALIZE_DOCS_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        for name in DOCS_SET:
            if (SHOTS / name).exists():
                shutil.copy2(SHOTS / name, DOCS_SHOTS / name)


@pytest.fixture(scope="module")
def browser(airflow: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: next to the other test worker a page can take more than Playwright's
    # default 5 s to render.
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as playwright:
        # A fresh, empty profile; Playwright's own driver, Debian's browser (no browser download, ever).
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


def test_trigger_watch_and_open_report_in_the_ui(airflow: Any, browser: Any, shots: Path,
                                                 request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    marks: dict[str, float] = {}
    base = airflow.url
    password = airflow.admin_password()
    api = Api(base, password)
    # The dag-processor parses dags/ in the background: the UI lists the DAG once it is serialized.
    api.wait(f"{DAG_ID} to be parsed", lambda: api.get(f"/dags/{DAG_ID}"), timeout=180)
    request.node.user_properties.append(("browser", f"screenshots in {shots}"))
    page = browser.new_page()
    step = {"name": "start"}

    def shot(name: str) -> None:
        step["name"] = name
        page.screenshot(path=str(shots / name))

    try:
        # 1. Sign in through the simple auth manager's login page.
        page.goto(f"{base}/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password)
        shot("01-login.png")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name="Dags")).to_be_visible()

        # 2. The DAG's page: its tasks, paused (new DAGs start paused here).
        page.goto(f"{base}/dags/{DAG_ID}")
        expect(page.get_by_role("heading", name=DAG_ID)).to_be_visible()
        expect(page.get_by_text("user-personalization", exact=True).first).to_be_visible()
        shot("02-dag.png")

        # 3. Trigger through the Params form: training mode FULL and force retrain, set in the form.
        page.get_by_role("button", name="Trigger Dag").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("Run Parameters")).to_be_visible()
        expect(dialog.get_by_label(f"Unpause {DAG_ID} on trigger")).to_be_checked()
        dialog.get_by_role("combobox", name="Training mode").click()
        page.get_by_role("option", name="FULL", exact=True).click()
        force = dialog.get_by_label("Force retrain")
        force.locator("xpath=..").click()  # the switch: its input is visually hidden, the label around it is not
        expect(force).to_be_checked()
        shot("03-trigger-form.png")
        dialog.get_by_role("button", name="Trigger", exact=True).click()
        marks["triggered"] = time.monotonic()
        page.wait_for_url(f"{base}/dags/{DAG_ID}/runs/**")
        run_id = urllib.parse.unquote(page.url.split("/runs/", 1)[1].split("/", 1)[0].split("?", 1)[0])
        run = api.get(f"/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id)}")
        assert run["run_type"] == "manual"
        assert run["conf"]["training_mode"] == "FULL" and run["conf"]["force_retrain"] is True, run["conf"]
        run_path = f"/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id)}"

        # 4. A task in `deferred`: its wait runs in the triggerer. The run's task list refreshes while it runs.
        deferred_row = page.get_by_role("row").filter(has=page.get_by_text("Deferred", exact=True)).first

        def deferred_shown() -> bool:
            if deferred_row.is_visible():
                return True
            if (state := api.get(run_path)["state"]) != "running" and state != "queued":
                raise AssertionError(f"the run ended ({state}) before the UI showed a deferred task: "
                                     f"{api.task_states(run_path)}")
            return False

        api.wait("a Deferred task in the run's task list", deferred_shown, timeout=RUN_TIMEOUT_S, every=1)
        deferred_task = deferred_row.get_by_role("link").first.inner_text().strip()
        deferred_row.scroll_into_view_if_needed()
        shot("04-deferred.png")
        deferred_path = f"{run_path}/taskInstances/{urllib.parse.quote(deferred_task)}"
        deferred_try = api.get(deferred_path)["try_number"]

        # 5. The run succeeds (REST polls; the UI must then say so too). The browser waits on a blank page: the
        # run page's auto-refresh would keep the api-server busy on the same two cores as the run.
        page.goto("about:blank")
        remaining = RUN_TIMEOUT_S - (time.monotonic() - started)
        final = api.wait("the run to finish", lambda: (r := api.get(run_path))["state"] in ("success", "failed")
                         and r, timeout=max(remaining, 30), every=3)
        marks["run finished"] = time.monotonic()
        states = api.task_states(run_path)
        assert final["state"] == "success", {k: v for k, v in states.items() if v not in ("success", "skipped")}
        assert states["user-personalization.promote"] == "success"
        # The task the UI showed as Deferred did hand its wait to the triggerer (its log, through the API).
        deferred_log = json.dumps(api.get(f"{deferred_path}/logs/{deferred_try}")["content"])
        assert "Pausing task as DEFERRED" in deferred_log, deferred_log[-2000:]
        page.goto(f"{base}/dags/{DAG_ID}/runs/{urllib.parse.quote(run_id)}")
        run_state = page.get_by_role("heading", name=run_id).locator("xpath=..").get_by_test_id("state-badge")
        expect(run_state).to_have_text("Success")
        expect(page.get_by_role("row").filter(has=page.get_by_text("Failed", exact=True))).to_have_count(0)
        shot("05-run-succeeded.png")

        # 6. The compare task's "Promotion report" extra link (Details tab).
        task_url = f"{base}/dags/{DAG_ID}/runs/{urllib.parse.quote(run_id)}/tasks/user-personalization.compare"
        page.goto(f"{task_url}/details")
        report_link = page.get_by_role("link", name="Promotion report")
        expect(report_link).to_be_visible()
        shot("06-report-link.png")
        links = api.get(f"{run_path}/taskInstances/user-personalization.compare/links")["extra_links"]
        assert report_link.get_attribute("href") == links["Promotion report"]
        assert links["Promotion report"].startswith(airflow.stack.s3_endpoint_url)

        # 7. Open it: the report, with its verdict and the metric-history chart, straight from (moto's) S3.
        with browser.expect_page() as opened:
            report_link.click()
        report = opened.value
        report.set_default_timeout(UI_TIMEOUT_MS)
        expect(report.get_by_role("heading", name="Personalize promotion report: user-personalization")).to_be_visible()
        expect(report.get_by_text("Promoted:")).to_be_visible()
        chart = report.get_by_role("img", name="metric history")
        expect(chart).to_be_visible()
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart did not load"
        report.screenshot(path=str(shots / "07-report.png"), full_page=True)
        report.close()

        # 8. The summary task's "Run summary" link: every solution's decision.
        page.goto(f"{base}/dags/{DAG_ID}/runs/{urllib.parse.quote(run_id)}/tasks/summary/details")
        with browser.expect_page() as opened:
            page.get_by_role("link", name="Run summary").click()
        summary = opened.value
        expect(summary.get_by_text("user-personalization", exact=False).first).to_be_visible()
        text = summary.locator("body").inner_text()
        # The summary page's table: solution, version, decision, ...
        assert summary.title().startswith("Personalize pipeline lms"), summary.title()
        row = summary.locator("tr", has_text="user-personalization").first.inner_text()
        assert row.split("\t")[2].strip() == "promoted", row
        assert "promoted" in text
        summary.screenshot(path=str(shots / "08-summary.png"))
        summary.close()
        retried = sorted(ti["task_id"] for ti in api.get(f"{run_path}/taskInstances?limit=200")["task_instances"]
                         if (ti["try_number"] or 0) > 1)
        # Shown after the run (conftest.py): where the time went (the stack's start-up is the fixtures').
        request.node.user_properties.append((
            "browser", f"UI to trigger {marks['triggered'] - started:.0f} s, run "
            f"{marks['run finished'] - marks['triggered']:.0f} s, report and summary "
            f"{time.monotonic() - marks['run finished']:.0f} s; tasks retried: {retried or 'none'}"))
    except Exception:
        page.screenshot(path=str(shots / f"failed-after-{step['name']}"))
        lines = airflow.log.read_text(errors="replace").splitlines() if airflow.log.exists() else []
        log_tail = "\n".join([line for line in lines if "request finished" not in line][-40:])
        print(f"UI at {page.url}; standalone log tail:\n{log_tail}")
        raise


def test_rollback_through_the_form_puts_the_previous_version_back(airflow: Any, browser: Any, shots: Path) -> None:
    """After the run above promoted V1, a second version is promoted (as a later nightly would: campaign update and
    the promotion tag); then the rollback DAG, triggered through its form with the defaults, serves V1 again."""
    import boto3
    from playwright.sync_api import expect

    base, api = airflow.url, Api(airflow.url, airflow.admin_password())
    p = boto3.client("personalize", endpoint_url=airflow.stack.personalize_endpoint_url, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    served = next(c for c in p.list_campaigns()["campaigns"] if c["name"].endswith("-user-personalization"))
    v1 = p.describe_campaign(campaignArn=served["campaignArn"])["campaign"]["solutionVersionArn"]
    v2 = p.create_solution_version(solutionArn=v1.rsplit("/", 1)[0], name="browser-v2",
                                   trainingMode="FULL")["solutionVersionArn"]
    api.wait("the second version to train", lambda: p.describe_solution_version(solutionVersionArn=v2)[
        "solutionVersion"]["status"] == "ACTIVE", timeout=RUN_TIMEOUT_S)
    time.sleep(1.1)  # promotion stamps have whole seconds: V2's is later than V1's
    p.update_campaign(campaignArn=served["campaignArn"], solutionVersionArn=v2)
    p.tag_resource(resourceArn=v2, tags=[{"tagKey": "personalize-pipeline:promoted-at",
                                          "tagValue": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}])

    def serving() -> str:
        campaign = p.describe_campaign(campaignArn=served["campaignArn"])["campaign"]
        update = campaign.get("latestCampaignUpdate") or {}
        return str(update.get("solutionVersionArn") if update.get("status") == "ACTIVE" or not update
                   else "updating")

    api.wait("V2 to serve", lambda: serving() == v2, timeout=RUN_TIMEOUT_S)

    dag_id = f"{DAG_ID}_rollback"
    api.wait(f"{dag_id} to be parsed", lambda: api.get(f"/dags/{dag_id}"), timeout=180)
    page = browser.new_page()
    page.goto(f"{base}/dags/{dag_id}")
    page.get_by_role("button", name="Trigger Dag").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Run Parameters")).to_be_visible()
    expect(dialog.get_by_text("user-personalization").first).to_be_visible()  # the solution's default
    dialog.locator("#element_reason").fill("CTR fell after the last promotion")  # the form names inputs element_<param>
    page.screenshot(path=str(shots / "11-rollback-form.png"))
    dialog.get_by_role("button", name="Trigger", exact=True).click()
    page.wait_for_url(f"{base}/dags/{dag_id}/runs/**")
    run_id = urllib.parse.unquote(page.url.split("/runs/", 1)[1].split("/", 1)[0].split("?", 1)[0])
    run_path = f"/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id)}"
    page.goto("about:blank")
    final = api.wait("the rollback to finish", lambda: (r := api.get(run_path))["state"] in ("success", "failed")
                     and r, timeout=RUN_TIMEOUT_S, every=3)
    states = api.task_states(run_path)
    assert final["state"] == "success", states
    assert final["conf"]["reason"] == "CTR fell after the last promotion"
    assert states["point_campaign"] == "success" and states["record_rollback"] == "success"
    assert serving() == v1  # the campaign serves the old version again
    tags = {t["tagKey"]: t["tagValue"] for t in p.list_tags_for_resource(resourceArn=v2)["tags"]}
    assert tags["personalize-pipeline:rolled-back-to"] == v1
    page.goto(f"{base}/dags/{dag_id}/runs/{urllib.parse.quote(run_id)}/tasks/record_rollback/details")
    link = page.get_by_role("link", name="Rollback report")
    expect(link).to_be_visible()
    page.screenshot(path=str(shots / "12-rollback-done.png"))
    with browser.expect_page() as opened:
        link.click()
    report = opened.value
    expect(report.get_by_role("heading", name="Rollback of user-personalization")).to_be_visible()
    expect(report.get_by_text(v1).first).to_be_visible()
    report.close()
    page.close()
