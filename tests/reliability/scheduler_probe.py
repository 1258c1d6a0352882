"""Two triggered runs of personalize_lms under Airflow's own scheduler loop (run by test_pipeline_reliability).

Runs the CLI commands in one process (one Airflow import instead of seven). The default pool has no slots, so no
task ever starts: what is observed is only the scheduler's decision which runs may be `running`.
"""

from __future__ import annotations

import sys
import time

from airflow.cli.cli_parser import get_parser


def cli(*argv: str) -> None:
    args = get_parser().parse_args(list(argv))
    args.func(args)


def finish_running_runs() -> None:
    """What the end of the first run looks like to the scheduler (its tasks never ran: nothing had a slot)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    with create_session() as session:
        for run in session.query(DagRun).filter(DagRun.state == DagRunState.RUNNING):
            run.set_state(DagRunState.SUCCESS)


def print_states(moment: str) -> None:
    """The runs' states at a checkpoint, for the test to read without racing the scheduler."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        states = sorted(getattr(run.state, "value", str(run.state)) for run in session.query(DagRun))
    print(f"PROBE states {moment}: {','.join(states)}", flush=True)


def main(dag_id: str, *dates: str) -> None:
    cli("pools", "set", "default_pool", "0", "no task starts in this probe")
    cli("dags", "reserialize")
    cli("dags", "unpause", dag_id)
    for date in dates:
        cli("dags", "trigger", dag_id, "--logical-date", date)
    print("PROBE triggered", flush=True)
    # The scheduler takes queued runs whose run_after <= now(); on SQLite now() has whole seconds, so a run
    # triggered in the current second would wait for the next one. Three loops take less than that here.
    time.sleep(1.5)
    cli("scheduler", "--num-runs", "3", "--skip-serve-logs")
    print("PROBE first scheduler done", flush=True)
    print_states("after the first scheduler")
    finish_running_runs()
    cli("scheduler", "--num-runs", "2", "--skip-serve-logs")
    print("PROBE second scheduler done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
