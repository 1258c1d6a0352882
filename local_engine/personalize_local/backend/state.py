"""The backend's state: config, the durable store, the S3 client, ARNs, per-dataset locks and the model cache.

Holds no request handling and no job code. Jobs are reached through `jobs`, a `JobQueue` the wiring attaches
(workers import the backend, so the backend must not import them).
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from typing import Any, Protocol

import boto3
from botocore.config import Config as BotoConfig

from ..config import Config
from ..predict import Predictor
from ..recipes import Model
from ..s3_server import ENGINE_USER_AGENT
from ..store import Store


class JobQueue(Protocol):
    """What the backend needs of the job runner: start a record's job, ask a running one to stop."""

    def submit(self, arn: str, kind: str) -> None: ...

    def cancel(self, arn: str) -> None: ...


class _NoJobs:
    def submit(self, arn: str, kind: str) -> None:
        raise RuntimeError("no job runner attached to this backend (see wiring.py)")

    def cancel(self, arn: str) -> None:
        raise RuntimeError("no job runner attached to this backend (see wiring.py)")


class BackendState:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.data_dir)
        self._s3: Any = None
        self._models: OrderedDict[str, Predictor] = OrderedDict()
        self._models_lock = threading.Lock()
        self._dataset_locks: dict[str, threading.Lock] = {}
        self.jobs: JobQueue = _NoJobs()

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = boto3.client(
                "s3",
                endpoint_url=self.config.s3_endpoint_url,
                region_name=self.config.region,
                # Tagged so a counting S3 server can tell the engine's own reads/writes from its clients' calls.
                config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"}, user_agent_extra=ENGINE_USER_AGENT),
            )
        return self._s3

    def arn(self, resource_type: str, *parts: str) -> str:
        return (
            f"arn:aws:personalize:{self.config.region}:{self.config.account_id}:{resource_type}/"
            + "/".join(parts)
        )

    def dataset_lock(self, dataset_arn: str) -> threading.Lock:
        """Imports into one dataset run one at a time so INCREMENTAL appends never lose rows."""
        with self._models_lock:
            return self._dataset_locks.setdefault(dataset_arn, threading.Lock())

    # Models -------------------------------------------------------------------------------------------
    def save_model(self, solution_version_arn: str, model: Model) -> None:
        path = self.store.model_path(solution_version_arn)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)  # atomic: a crash never leaves a half-written model behind

    def predictor(self, solution_version_arn: str) -> Predictor:
        """Trained models are cached in memory (LRU of 8); they are our own pickles from the data dir."""
        with self._models_lock:
            if solution_version_arn in self._models:
                self._models.move_to_end(solution_version_arn)
                return self._models[solution_version_arn]
        with self.store.model_path(solution_version_arn).open("rb") as fh:
            model = pickle.load(fh)  # noqa: S301 - written by save_model in our own data dir
        predictor = Predictor(model)
        with self._models_lock:
            self._models[solution_version_arn] = predictor
            while len(self._models) > 8:
                self._models.popitem(last=False)
        return predictor

    def forget_model(self, solution_version_arn: str) -> None:
        with self._models_lock:
            self._models.pop(solution_version_arn, None)
        self.store.model_path(solution_version_arn).unlink(missing_ok=True)

    def close(self) -> None:
        self.store.close()
