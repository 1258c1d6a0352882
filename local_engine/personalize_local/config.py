"""Engine settings from CLI flags, with PERSONALIZE_LOCAL_* environment variables as defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"PERSONALIZE_LOCAL_{name}", default)


@dataclass
class Config:
    data_dir: Path
    s3_endpoint_url: str | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    throttle_rate: float = 0.0  # share of requests answered with ThrottlingException
    error_rate: float = 0.0  # share of requests answered with HTTP 500/503
    error_burst_length: int = 0  # with error_burst_every: the last N of every M requests are answered 500/503
    error_burst_every: int = 0
    lost_response_rate: float = 0.0  # share of requests carried out but answered 500 (the response is "lost")
    fail_training: str = ""  # "1" fails every training; otherwise an fnmatch pattern on solution names
    min_job_seconds: float = 0.0  # every job takes at least this long (to exercise polling and restarts)
    pending_seconds: float = 0.1  # how long a new resource or job shows CREATE PENDING before it starts
    seed: int = 42
    on_restart: str = "resume"  # what to do with jobs found in progress at start-up: resume | fail
    max_concurrent_imports: int = 5
    max_concurrent_trainings: int = 20
    autotrain_check_seconds: float = 60.0  # how often performAutoTraining schedules are checked
    worker_slots: int = 2  # heavy jobs (imports, training, batch) running at once

    @classmethod
    def from_env(cls, data_dir: Path, **overrides: object) -> Config:
        config = cls(
            data_dir=data_dir,
            s3_endpoint_url=_env("S3_ENDPOINT_URL") or None,
            region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            account_id=_env("ACCOUNT_ID", "123456789012"),
            throttle_rate=float(_env("THROTTLE_RATE", "0") or 0),
            error_rate=float(_env("ERROR_RATE", "0") or 0),
            error_burst_length=int(_env("ERROR_BURST_LENGTH", "0") or 0),
            error_burst_every=int(_env("ERROR_BURST_EVERY", "0") or 0),
            lost_response_rate=float(_env("LOST_RESPONSE_RATE", "0") or 0),
            fail_training=_env("FAIL_TRAINING", ""),
            min_job_seconds=float(_env("MIN_JOB_SECONDS", "0") or 0),
            pending_seconds=float(_env("PENDING_SECONDS", "0.1") or 0),
            seed=int(_env("SEED", "42") or 42),
            on_restart=_env("ON_RESTART", "resume") or "resume",
            max_concurrent_imports=int(_env("MAX_CONCURRENT_IMPORTS", "5") or 5),
            max_concurrent_trainings=int(_env("MAX_CONCURRENT_TRAININGS", "20") or 20),
            autotrain_check_seconds=float(_env("AUTOTRAIN_CHECK_SECONDS", "60") or 60),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        return config
