"""`personalize-local serve ...`: run the engine on one port."""

from __future__ import annotations

import os

# Native BLAS threads multiply with implicit's own threads and the job threads; one each is fastest on the
# small machines this runs on. Must be set before numpy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import logging  # noqa: E402
from pathlib import Path  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="personalize-local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the Personalize-compatible HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8181)
    serve.add_argument("--data-dir", type=Path, required=True)
    serve.add_argument("--s3-endpoint-url", default=None, help="S3 endpoint (e.g. a moto server)")
    serve.add_argument("--region", default=None)
    serve.add_argument("--throttle-rate", type=float, default=None, help="share of requests throttled")
    serve.add_argument("--error-rate", type=float, default=None, help="share of requests answered 500/503")
    serve.add_argument("--error-burst-length", type=int, default=None,
                       help="with --error-burst-every: the last N of every M requests are answered 500/503")
    serve.add_argument("--error-burst-every", type=int, default=None)
    serve.add_argument("--lost-response-rate", type=float, default=None,
                       help="share of requests carried out but answered 500")
    serve.add_argument("--fail-training", default=None, help="'1' or an fnmatch pattern of solution names")
    serve.add_argument("--min-job-seconds", type=float, default=None, help="minimum duration of every job")
    serve.add_argument("--seed", type=int, default=None)
    serve.add_argument(
        "--on-restart",
        choices=["resume", "fail"],
        default=None,
        help="what to do with jobs left in progress by a previous run",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    args = parser.parse_args(argv)

    import uvicorn

    from .config import Config
    from .server import create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = Config.from_env(
        args.data_dir,
        s3_endpoint_url=args.s3_endpoint_url,
        region=args.region,
        throttle_rate=args.throttle_rate,
        error_rate=args.error_rate,
        error_burst_length=args.error_burst_length,
        error_burst_every=args.error_burst_every,
        lost_response_rate=args.lost_response_rate,
        fail_training=args.fail_training,
        min_job_seconds=args.min_job_seconds,
        seed=args.seed,
        on_restart=args.on_restart,
    )
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        timeout_graceful_shutdown=2,
        access_log=args.access_log,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
