"""Notifications (failure / rejected / promoted) to SNS or a Slack incoming webhook.

The target is an Airflow connection; its conn_type picks the channel, so switching from Slack to
SNS is a connection change, not a code change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

log = logging.getLogger(__name__)

EventKind = Literal["failure", "rejected", "promoted", "rollback"]

# SNS: subject must be ASCII, no newlines, < 100 chars; whole message < 256 KiB.
# Slack: a section block's text is capped at 3000 chars. Tracebacks can exceed all of these.
_SNS_SUBJECT_MAX = 99
_SNS_MESSAGE_MAX = 200_000
_SLACK_SECTION_MAX = 2900
_ICONS = {"failure": ":red_circle:", "rejected": ":large_orange_circle:", "promoted": ":large_green_circle:",
          "rollback": ":rewind:"}


@dataclass(frozen=True)
class NotificationEvent:
    dag_id: str
    run_id: str
    task_id: str | None  # None for DAG-level callbacks
    kind: EventKind
    message: str
    log_url: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        where = f"{self.dag_id}.{self.task_id}" if self.task_id else self.dag_id
        return f"[{self.kind.upper()}] {where} ({self.run_id})"

    def text(self) -> str:
        """Plain-text body (SNS email/SMS subscribers, Slack fallback)."""
        lines = [self.title, "", self.message]
        if self.details:
            lines += ["", *(f"{key}: {value}" for key, value in self.details.items())]
        if self.log_url:
            lines += ["", f"Log: {self.log_url}"]
        return "\n".join(lines)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 15] + "… [truncated]"


def _slack_escape(text: str) -> str:
    # Slack mrkdwn control characters; see api.slack.com/reference/surfaces/formatting#escaping
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_blocks(event: NotificationEvent) -> list[dict[str, Any]]:
    body = f"{_ICONS[event.kind]} *{_slack_escape(event.title)}*\n{_slack_escape(event.message)}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(body, _SLACK_SECTION_MAX)}}
    ]
    if event.details:
        detail_text = "\n".join(
            f"*{_slack_escape(str(k))}*: {_slack_escape(str(v))}" for k, v in event.details.items()
        )
        detail_text = _truncate(detail_text, _SLACK_SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": detail_text}})
    if event.log_url:
        # "|" would end the link target; "<"/">" are escaped. Log URLs contain neither normally.
        url = _slack_escape(event.log_url).replace("|", "%7C")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{url}|Task log>"}]})
    return blocks


def _sns_subject(event: NotificationEvent) -> str:
    subject = " ".join(event.title.encode("ascii", "replace").decode("ascii").split())
    return subject if len(subject) <= _SNS_SUBJECT_MAX else subject[: _SNS_SUBJECT_MAX - 3] + "..."


def notify(event: NotificationEvent, conn_id: str | None) -> None:
    """Send ``event`` via the connection ``conn_id``; no-op when it is None/empty.

    conn_type "aws" -> SNS publish to the topic in the connection's extra ``topic_arn``;
    conn_type "slackwebhook" -> Slack incoming webhook. Errors propagate (callers decide).
    """
    if not conn_id:
        log.debug("No notification connection configured; skipping %s event", event.kind)
        return
    # Lazy imports: provider hooks are heavy and only needed when a notification is actually sent.
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    conn_type = (conn.conn_type or "").strip().lower()
    if conn_type == "aws":
        topic_arn = conn.extra_dejson.get("topic_arn")
        if not topic_arn:
            raise ValueError(f"connection {conn_id!r} (aws) has no 'topic_arn' in its extra")
        from airflow.providers.amazon.aws.hooks.sns import SnsHook

        SnsHook(aws_conn_id=conn_id).publish_to_target(
            target_arn=topic_arn,
            message=_truncate(event.text(), _SNS_MESSAGE_MAX),
            subject=_sns_subject(event),
            # Lets subscribers filter, e.g. only failures to the pager.
            message_attributes={"kind": event.kind, "dag_id": event.dag_id},
        )
    elif conn_type == "slackwebhook":
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        SlackWebhookHook(slack_webhook_conn_id=conn_id).send(
            text=_truncate(event.text(), _SLACK_SECTION_MAX), blocks=_slack_blocks(event)
        )
    else:
        raise ValueError(
            f"connection {conn_id!r} has conn_type {conn.conn_type!r}; notifications support "
            "'aws' (SNS, extra.topic_arn) and 'slackwebhook' (Slack incoming webhook)"
        )
    log.info("Sent %s notification for %s via %s (%s)", event.kind, event.dag_id, conn_id, conn_type)


def _event_from_context(context: Mapping[str, Any]) -> NotificationEvent:
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None) or "unknown_dag"
    run_id = getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None) or context.get("run_id") or "?"
    exception = context.get("exception")
    if isinstance(exception, BaseException):
        message = f"{type(exception).__name__}: {exception}"
    elif exception:
        message = str(exception)
    else:
        message = str(context.get("reason") or "task failed")
    try:
        log_url = getattr(ti, "log_url", None)  # a property that may need config; never fatal
    except Exception:
        log_url = None
    details: dict[str, Any] = {}
    for attr in ("try_number", "map_index"):
        value = getattr(ti, attr, None)
        if value is not None and not (attr == "map_index" and value == -1):
            details[attr] = value
    return NotificationEvent(
        dag_id=str(dag_id),
        run_id=str(run_id),
        task_id=getattr(ti, "task_id", None),
        kind="failure",
        message=message,
        log_url=str(log_url) if log_url else None,
        details=details,
    )


def make_failure_callback(conn_id: str | None) -> Callable[[Mapping[str, Any]], None]:
    """Build an ``on_failure_callback`` that reports the failure and never raises.

    A broken webhook or missing connection is logged and swallowed so it cannot mask (or replace)
    the task's own failure in the logs and UI.
    """

    def _on_failure(context: Mapping[str, Any]) -> None:
        try:
            notify(_event_from_context(context), conn_id)
        except Exception:
            log.exception("Failure notification via %r could not be sent", conn_id)

    return _on_failure
