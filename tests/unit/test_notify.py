from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from personalize_pipeline import notify as notify_mod
from personalize_pipeline.notify import NotificationEvent, make_failure_callback, notify

EVENT = NotificationEvent(
    dag_id="personalize_courses",
    run_id="scheduled__2026-11-28T00:00:00+00:00",
    task_id="promote",
    kind="rejected",
    message=(
        "normalized_discounted_cumulative_gain_at_10 0.1012 vs 0.1238 in service (-18.3%), required ≥ +0.0%"
    ),
    log_url="http://airflow.local/dags/personalize_courses/runs/r/tasks/promote",
    details={"solution": "courses", "report": "s3://b/p/reports/courses/report.html"},
)


# --- fixtures --------------------------------------------------------------------------------


class _SlackServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append({"path": self.path, "json": json.loads(body)})
                reply = b"ok" if server.status == 200 else b"invalid_token"
                self.send_response(server.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[_SlackServer]:
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    srv = _SlackServer()
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_TEST",
        # pragma: allowlist nextline secret
        json.dumps({"conn_type": "slackwebhook", "host": srv.url, "password": "T000/B000/XXXX"}),
    )
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    thread.join(5)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(key, raising=False)


def _aws_conn(**extra: str) -> str:
    return json.dumps(
        {
            "conn_type": "aws",
            "login": "testing",
            # pragma: allowlist nextline secret
            "password": "testing",
            "extra": {"region_name": "us-east-1", **extra},
        }
    )


# --- notify ----------------------------------------------------------------------------------


@pytest.mark.parametrize("conn_id", [None, ""])
def test_no_connection_is_a_no_op(conn_id: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import BaseHook

    lookups: list[Any] = []
    monkeypatch.setattr(BaseHook, "get_connection", lambda *a, **kw: lookups.append(a))
    notify(EVENT, conn_id)
    make_failure_callback(conn_id)(_context())
    assert lookups == []


def test_sns_message_reaches_subscribed_queue(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic_arn = sns.create_topic(Name="personalize-alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        monkeypatch.setenv("AIRFLOW_CONN_SNS_TEST", _aws_conn(topic_arn=topic_arn))

        notify(EVENT, "sns_test")

        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        assert len(messages["Messages"]) == 1
        envelope = json.loads(messages["Messages"][0]["Body"])
        assert envelope["TopicArn"] == topic_arn
        assert (
            envelope["Subject"]
            == "[REJECTED] personalize_courses.promote (scheduled__2026-11-28T00:00:00+00:00)"
        )
        assert envelope["Message"] == EVENT.text()
        assert "-18.3%" in envelope["Message"]
        assert "report: s3://b/p/reports/courses/report.html" in envelope["Message"]
        assert f"Log: {EVENT.log_url}" in envelope["Message"]
        assert envelope["MessageAttributes"]["kind"] == {"Type": "String", "Value": "rejected"}


def test_sns_connection_without_topic_is_a_clear_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SNS_TEST", _aws_conn())
    with pytest.raises(ValueError, match="no 'topic_arn'"):
        notify(EVENT, "sns_test")


def test_sns_subject_is_ascii_and_short() -> None:
    long_event = NotificationEvent("d" * 80, "run\nwith newline", "tâsk", "failure", "x")
    subject = notify_mod._sns_subject(long_event)
    assert len(subject) <= 99 and subject.isascii() and "\n" not in subject
    assert subject.endswith("...")


def test_slack_webhook_posts_text_and_blocks(slack: _SlackServer) -> None:
    event = NotificationEvent(
        dag_id="personalize_courses",
        run_id="manual__1",
        task_id="train",
        kind="failure",
        message="ResourceInUseException: <solution> & friends",
        details={"try_number": 2},
    )
    notify(event, "slack_test")

    assert len(slack.requests) == 1
    request = slack.requests[0]
    assert request["path"] == "/T000/B000/XXXX"
    body = request["json"]
    assert body["text"] == event.text()
    first, second = body["blocks"]
    assert first["type"] == "section"
    assert first["text"]["text"] == (
        ":red_circle: *[FAILURE] personalize_courses.train (manual__1)*\n"
        "ResourceInUseException: &lt;solution&gt; &amp; friends"
    )
    assert second["text"]["text"] == "*try_number*: 2"
    assert len(body["blocks"]) == 2  # no log_url -> no context block


def test_slack_log_link_block(slack: _SlackServer) -> None:
    notify(EVENT, "slack_test")
    blocks = slack.requests[0]["json"]["blocks"]
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"<{EVENT.log_url}|Task log>"}],
    }


def test_slack_http_error_propagates_from_notify(slack: _SlackServer) -> None:
    slack.status = 500
    with pytest.raises(Exception, match="Status Code: 500"):
        notify(EVENT, "slack_test")


def test_long_messages_are_truncated_for_slack(slack: _SlackServer) -> None:
    event = NotificationEvent("d", "r", "t", "failure", "x" * 10_000)
    notify(event, "slack_test")
    body = slack.requests[0]["json"]
    assert len(body["blocks"][0]["text"]["text"]) <= 3000
    assert body["text"].endswith("[truncated]")


def test_unknown_connection_type_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_PG_TEST", json.dumps({"conn_type": "postgres", "host": "db"}))
    with pytest.raises(ValueError, match=r"conn_type 'postgres'.*'aws'.*'slackwebhook'"):
        notify(EVENT, "pg_test")


# --- failure callback ------------------------------------------------------------------------


class _TI:
    dag_id = "personalize_courses"
    task_id = "train_solution"
    run_id = "scheduled__2026-11-28T00:00:00+00:00"
    try_number = 3
    map_index = -1

    @property
    def log_url(self) -> str:
        return "http://airflow.local/log"


class _TIWithBrokenLogUrl(_TI):
    @property
    def log_url(self) -> str:
        raise RuntimeError("no api url configured")


def _context(ti: Any = None) -> dict[str, Any]:
    ti = ti or _TI()
    return {
        "ti": ti,
        "task_instance": ti,
        "dag_run": SimpleNamespace(dag_id=ti.dag_id, run_id=ti.run_id),
        "exception": ValueError("metrics missing"),
    }


def test_callback_builds_event_from_context(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[NotificationEvent, str | None]] = []
    monkeypatch.setattr(notify_mod, "notify", lambda event, conn_id: sent.append((event, conn_id)))

    make_failure_callback("slack_test")(_context())

    assert sent == [
        (
            NotificationEvent(
                dag_id="personalize_courses",
                run_id="scheduled__2026-11-28T00:00:00+00:00",
                task_id="train_solution",
                kind="failure",
                message="ValueError: metrics missing",
                log_url="http://airflow.local/log",
                details={"try_number": 3},
            ),
            "slack_test",
        )
    ]


def test_callback_tolerates_sparse_dag_level_context(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[NotificationEvent] = []
    monkeypatch.setattr(notify_mod, "notify", lambda event, conn_id: sent.append(event))
    make_failure_callback("x")({"dag_run": SimpleNamespace(dag_id="d", run_id="r"), "reason": "task_failure"})
    make_failure_callback("x")(_context(_TIWithBrokenLogUrl()))
    assert (
        sent[0].task_id is None and sent[0].message == "task_failure" and sent[0].title == "[FAILURE] d (r)"
    )
    assert sent[1].log_url is None and sent[1].message == "ValueError: metrics missing"


def test_callback_posts_to_slack_end_to_end(slack: _SlackServer) -> None:
    make_failure_callback("slack_test")(_context())
    body = slack.requests[0]["json"]
    assert "ValueError: metrics missing" in body["text"]
    assert body["blocks"][0]["text"]["text"].startswith(
        ":red_circle: *[FAILURE] personalize_courses.train_solution"
    )


def test_callback_swallows_webhook_errors(slack: _SlackServer, caplog: pytest.LogCaptureFixture) -> None:
    slack.status = 500
    with caplog.at_level(logging.ERROR, logger="personalize_pipeline.notify"):
        make_failure_callback("slack_test")(_context())  # must not raise
    assert len(slack.requests) == 1
    assert "could not be sent" in caplog.text


def test_callback_swallows_missing_connection(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="personalize_pipeline.notify"):
        make_failure_callback("does_not_exist")(_context())
    assert "could not be sent" in caplog.text
