"""Background execution of long-running operations (imports, training, deployments, batch jobs).

Each job runs on its own daemon thread; heavy work takes one of `worker_slots` so the HTTP server stays
responsive. State lives only in SQLite, so a restart can find unfinished work and resume (or fail) it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .autotrain import AutoTrainer
from .engine import ACTIVE, FAILED, IN_PROGRESS, PENDING, STOPPED, STOPPING, UNFINISHED
from .errors import ServiceError

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("personalize_local.jobs")
Record = dict[str, Any]


class Cancelled(Exception):
    """Raised inside a job when StopSolutionVersionCreation asked it to stop."""


class JobContext:
    def __init__(self, runner: JobRunner, arn: str) -> None:
        self.runner = runner
        self.arn = arn
        self.cancel = threading.Event()

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()


LIGHT_KINDS = {"DatasetGroup", "Dataset", "Solution", "Filter", "EventTracker", "Campaign", "CampaignUpdate"}


class JobRunner:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.slots = threading.BoundedSemaphore(engine.config.worker_slots)
        self.contexts: dict[str, JobContext] = {}
        self.lock = threading.Lock()
        self.autotrainer = AutoTrainer(engine, engine.config.autotrain_check_seconds)

    def handlers(self) -> dict[str, Callable[[Engine, Record, JobContext], Record]]:
        from . import batch, data, training

        return {
            "DatasetGroup": _noop,
            "Dataset": _noop,
            "Solution": _noop,
            "Filter": _noop,
            "EventTracker": _noop,
            "Campaign": _deploy_campaign,
            "DatasetImportJob": data.run_import,
            "DatasetExportJob": data.run_export,
            "SolutionVersion": training.run_training,
            "Recommender": training.run_recommender,
            "BatchInferenceJob": batch.run_batch_inference,
            "BatchSegmentJob": batch.run_batch_segment,
        }

    def submit(self, arn: str, kind: str) -> None:
        context = JobContext(self, arn)
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
        store = self.engine.store
        started = time.monotonic()
        try:
            if kind == "CampaignUpdate":
                self._run_campaign_update(arn, context, started)
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
                changes = self.handlers()[kind](self.engine, record, context)
            else:
                with self.slots:
                    self._start(arn, context)
                    changes = self.handlers()[kind](self.engine, record, context)
            self._hold(started, context)
            store.update(arn, {**changes, "status": ACTIVE, "failureReason": None})
            if kind == "Solution":
                self.autotrainer.poke()  # performAutoTraining starts its first version right away
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
        record = self.engine.store.get(arn)
        if record is None:
            return
        if record.get("status") == STOPPING:
            self.engine.store.update(arn, {"status": STOPPED})
        else:
            self.engine.store.update(arn, {"status": FAILED, "failureReason": reason[:1000]})

    def _pending(self, context: JobContext) -> None:
        deadline = time.monotonic() + self.engine.config.pending_seconds
        while (remaining := deadline - time.monotonic()) > 0:
            context.check()
            time.sleep(min(0.05, remaining))

    def _start(self, arn: str, context: JobContext) -> None:
        """CREATE PENDING -> CREATE IN_PROGRESS, unless a stop or delete came first."""
        context.check()
        record = self.engine.store.get(arn)
        if record is None or record.get("status") not in (PENDING, IN_PROGRESS):  # IN_PROGRESS: resumed
            raise Cancelled
        self.engine.store.update(arn, {"status": IN_PROGRESS})

    def _hold(self, started: float, context: JobContext) -> None:
        """PERSONALIZE_LOCAL_MIN_JOB_SECONDS: make every job last at least that long (cancellable)."""
        remaining = self.engine.config.min_job_seconds - (time.monotonic() - started)
        while remaining > 0:
            context.check()
            time.sleep(min(0.1, remaining))
            remaining = self.engine.config.min_job_seconds - (time.monotonic() - started)

    def _run_campaign_update(self, arn: str, context: JobContext, started: float) -> None:
        store = self.engine.store
        campaign = store.get(arn)
        if campaign is None:
            return
        update = dict(campaign.get("latestCampaignUpdate") or {})
        store.update(
            arn,
            {"latestCampaignUpdate": {**update, "status": IN_PROGRESS, "lastUpdatedDateTime": time.time()}},
        )
        try:
            self.engine.predictor(update["solutionVersionArn"])  # load before switching traffic
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
        store = self.engine.store
        mode = self.engine.config.on_restart
        for kind, record in store.all_records():
            from .resources import KINDS

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


def _noop(engine: Engine, record: Record, context: JobContext) -> Record:
    return {}


def _deploy_campaign(engine: Engine, record: Record, context: JobContext) -> Record:
    engine.predictor(record["solutionVersionArn"])  # loading proves the model is servable
    return {}
