"""Where the engine is put together: the backend, the workers that run its jobs and the responses layer.

The one module that imports both the responses layer and the workers, so neither needs the other and imports
flow one way (tests/engine/test_import_graph.py keeps it so): the backend at the bottom, workers and responses
on it, this module on top, the HTTP server (server.py) on this.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backend import Backend
from .config import Config
from .events import EventIngest
from .responses import ControlPlaneResponses, EventsResponses, RuntimeResponses
from .runtime import Runtime
from .training import run_recommender, run_training
from .workers.autotrainer import AutoTrainer
from .workers.batch import run_batch_inference, run_batch_segment
from .workers.data_deletion import run_data_deletion
from .workers.dataset_jobs import run_export, run_import
from .workers.runner import JobRunner


@dataclass
class Engine:
    """A wired engine: what the HTTP server calls, and what it starts and stops with the process."""

    backend: Backend
    runner: JobRunner
    autotrainer: AutoTrainer
    control: ControlPlaneResponses  # personalize
    runtime: RuntimeResponses  # personalize-runtime
    events: EventsResponses  # personalize-events

    def start(self) -> None:
        self.runner.recover()
        self.autotrainer.start()

    def close(self) -> None:
        self.backend.close()


def build(config: Config) -> Engine:
    backend = Backend(config)
    autotrainer = AutoTrainer(backend, config.autotrain_check_seconds)

    def on_active(kind: str) -> None:
        if kind == "Solution":
            autotrainer.poke()  # performAutoTraining starts its first version right away

    runner = JobRunner(
        backend,
        {
            "DatasetImportJob": run_import,
            "DatasetExportJob": run_export,
            "SolutionVersion": run_training,
            "Recommender": run_recommender,
            "BatchInferenceJob": run_batch_inference,
            "BatchSegmentJob": run_batch_segment,
            "DataDeletionJob": run_data_deletion,
        },
        on_active,
    )
    backend.jobs = runner
    events = EventIngest(backend)
    return Engine(
        backend,
        runner,
        autotrainer,
        ControlPlaneResponses(backend),
        RuntimeResponses(Runtime(backend, events)),
        EventsResponses(events),
    )
