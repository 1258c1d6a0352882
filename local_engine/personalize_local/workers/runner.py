"""The job runner: background execution of long-running operations (imports, training, deployments, batch).

Each job runs on its own daemon thread; heavy work takes one of `worker_slots` so the HTTP server stays
responsive. State lives only in SQLite, so a restart can find unfinished work and resume (or fail) it. The job
function of each kind is handed in (wiring.py), so the runner imports none of them.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from ..backend import KINDS, Backend
from ..errors import ServiceError
from ..status import ACTIVE, FAILED, IN_PROGRESS, PENDING, STOPPED, STOPPING, TRANSITIONS, UNFINISHED
from .context import Cancelled, JobContext

log = logging.getLogger("personalize_local.jobs")
Record = dict[str, Any]
Handler = Callable[[Backend, Record, JobContext], Record]

LIGHT_KINDS = {"DatasetGroup", "Dataset", "Solution", "Filter", "EventTracker", "MetricAttribution", "Campaign",
               "CampaignUpdate"}


class JobRunner:
    """Runs the job of each kind's record: `handlers` maps a kind to its job function (light kinds have one
    here), `on_active(kind)` is told when a record became ACTIVE (the auto-trainer wants new solutions)."""

    def __init__(self, backend: Backend, handlers: dict[str, Handler],
                 on_active: Callable[[str], None] | None = None) -> None:
        self.backend = backend
        self.handlers: dict[str, Handler] = {
            "DatasetGroup": _noop,
            "Dataset": _noop,
            "Solution": _noop,
            "Filter": _noop,
            "EventTracker": _noop,
            "MetricAttribution": _noop,
            "Campaign": _deploy_campaign,
            **handlers,
        }
        self.on_active = on_active
        self.slots = threading.BoundedSemaphore(backend.config.worker_slots)
        self.contexts: dict[str, JobContext] = {}
        self.lock = threading.Lock()

    def submit(self, arn: str, kind: str) -> None:
        context = JobContext(arn)
        with self.lock:
            self.contexts[arn] = context
        thread = threading.Thread(
            target=self._run, args=(arn, kind, context), name=f"job-{kind}", daemon=True
        )
        thread.start()

    def cancel(self, arn: str) -> None:
        with self.lock:
            context = self.contexts.get(arn)
        if context is not None:
            context.cancel.set()

    def _run(self, arn: str, kind: str, context: JobContext) -> None:
        store = self.backend.store
        started = time.monotonic()
        try:
            if kind == "CampaignUpdate":
                self._run_campaign_update(arn, context, started)
                return
            if kind in TRANSITIONS:
                self._run_transition(arn, kind, context, started)
                return
            record = store.get(arn)
            if record is None or record.get("status") not in (PENDING, IN_PROGRESS):
                if record is not None and record.get("status") == STOPPING:
                    store.update(arn, {"status": STOPPED})
                return
            # CREATE PENDING until the job starts, as Personalize shows it: for a moment after the create call,
            # and for as long as a heavy job waits for a worker slot.
            self._pending(context)
            if kind in LIGHT_KINDS:
                self._start(arn, context)
                changes = self.handlers[kind](self.backend, record, context)
            else:
                with self.slots:
                    self._start(arn, context)
                    changes = self.handlers[kind](self.backend, record, context)
            self._hold(started, context)
            store.update(arn, {**changes, "status": ACTIVE, "failureReason": None})
            if self.on_active is not None:
                self.on_active(kind)
        except Cancelled:
            if store.get(arn) is not None:  # deleted while pending: nothing left to mark
                store.update(arn, {"status": STOPPED})
        except ServiceError as exc:
            self._fail(arn, exc.message)
        except Exception as exc:  # a bug or bad data must end as CREATE FAILED, never a stuck job
            log.error("job %s failed: %s", arn, traceback.format_exc())
            self._fail(arn, f"{type(exc).__name__}: {exc}")
        finally:
            with self.lock:
                self.contexts.pop(arn, None)

    def _fail(self, arn: str, reason: str) -> None:
        record = self.backend.store.get(arn)
        if record is None:
            return
        if record.get("status") == STOPPING:
            self.backend.store.update(arn, {"status": STOPPED})
        else:
            self.backend.store.update(arn, {"status": FAILED, "failureReason": reason[:1000]})

    def _pending(self, context: JobContext) -> None:
        deadline = time.monotonic() + self.backend.config.pending_seconds
        while (remaining := deadline - time.monotonic()) > 0:
            context.check()
            time.sleep(min(0.05, remaining))

    def _start(self, arn: str, context: JobContext) -> None:
        """CREATE PENDING -> CREATE IN_PROGRESS, unless a stop or delete came first."""
        context.check()
        record = self.backend.store.get(arn)
        if record is None or record.get("status") not in (PENDING, IN_PROGRESS):  # IN_PROGRESS: resumed
            raise Cancelled
        self.backend.store.update(arn, {"status": IN_PROGRESS})

    def _hold(self, started: float, context: JobContext) -> None:
        """PERSONALIZE_LOCAL_MIN_JOB_SECONDS: make every job last at least that long (cancellable)."""
        remaining = self.backend.config.min_job_seconds - (time.monotonic() - started)
        while remaining > 0:
            context.check()
            time.sleep(min(0.1, remaining))
            remaining = self.backend.config.min_job_seconds - (time.monotonic() - started)

    def _run_transition(self, arn: str, kind: str, context: JobContext, started: float) -> None:
        store = self.backend.store
        pending, in_progress, done = TRANSITIONS[kind]
        self._pending(context)
        record = store.get(arn)
        if record is None or record.get("status") != pending:  # deleted meanwhile
            return
        store.update(arn, {"status": in_progress})
        self._hold(started, context)
        store.update(arn, {"status": done})

    def _run_campaign_update(self, arn: str, context: JobContext, started: float) -> None:
        store = self.backend.store
        campaign = store.get(arn)
        if campaign is None:
            return
        update = dict(campaign.get("latestCampaignUpdate") or {})
        store.update(
            arn,
            {"latestCampaignUpdate": {**update, "status": IN_PROGRESS, "lastUpdatedDateTime": time.time()}},
        )
        try:
            self.backend.predictor(update["solutionVersionArn"])  # load before switching traffic
            self._hold(started, context)
        except Exception as exc:
            store.update(
                arn,
                {
                    "latestCampaignUpdate": {
                        **update,
                        "status": FAILED,
                        "failureReason": str(exc),
                        "lastUpdatedDateTime": time.time(),
                    }
                },
            )
            return
        store.update(
            arn,
            {
                "solutionVersionArn": update["solutionVersionArn"],
                "minProvisionedTPS": update.get("minProvisionedTPS"),
                "campaignConfig": update.get("campaignConfig"),
                "latestCampaignUpdate": {**update, "status": ACTIVE, "lastUpdatedDateTime": time.time()},
            },
        )

    def recover(self) -> None:
        """At start-up, resume (or with --on-restart fail, fail) jobs a previous process left unfinished."""
        store = self.backend.store
        mode = self.backend.config.on_restart
        for kind, record in store.all_records():
            arn = record.get(KINDS[kind].arn_field) if kind in KINDS else None
            if arn is None:
                continue
            update = record.get("latestCampaignUpdate") or {}
            if kind == "Campaign" and update.get("status") in UNFINISHED and record.get("status") == ACTIVE:
                if mode == "fail":
                    store.update(
                        arn,
                        {
                            "latestCampaignUpdate": {
                                **update,
                                "status": FAILED,
                                "failureReason": "personalize-local restarted during the update",
                            }
                        },
                    )
                else:
                    store.update(arn, {"latestCampaignUpdate": {**update, "status": PENDING}})
                    self.submit(arn, "CampaignUpdate")
                continue
            status = record.get("status")
            transition = next((job for job, steps in TRANSITIONS.items() if status in steps[:2]), None)
            if kind == "Recommender" and transition is not None:  # a stop or start cut short: finish it
                store.update(arn, {"status": TRANSITIONS[transition][0]})
                self.submit(arn, transition)
                continue
            if status == STOPPING:
                store.update(arn, {"status": STOPPED})
            elif status in (PENDING, IN_PROGRESS):
                if mode == "fail":
                    store.update(
                        arn,
                        {
                            "status": FAILED,
                            "failureReason": "personalize-local restarted while this job was in progress",
                        },
                    )
                else:
                    log.info("resuming %s %s", kind, arn)
                    store.update(arn, {"status": PENDING})
                    self.submit(arn, kind)


def _noop(backend: Backend, record: Record, context: JobContext) -> Record:
    return {}


def _deploy_campaign(backend: Backend, record: Record, context: JobContext) -> Record:
    backend.predictor(record["solutionVersionArn"])  # loading proves the model is servable
    return {}
