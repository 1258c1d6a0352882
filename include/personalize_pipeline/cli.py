"""`personalize-pipeline`: the pipeline's checks outside Airflow.

    personalize-pipeline validate --dataset interactions|items|users PATH [--config FILE]
    personalize-pipeline pools > pools.json && airflow pools import pools.json

Exit code 0 when the file passes every rule, 1 with a table of failed rules when not, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from personalize_pipeline.config import ConfigError, load_config


def _validate(args: argparse.Namespace) -> int:
    from personalize_pipeline.validate import validate_files

    try:
        config = load_config(args.config) if args.config else None
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    report = validate_files({args.dataset: args.path}, config, docs_dir=args.data_docs)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif report.success:
        print(f"{args.path}: valid {args.dataset} file ({report.statistics[args.dataset]['rows']} rows)")
    else:
        print(f"{args.path}: {len(report.failures)} rule(s) failed\n{report.table()}")
        if report.data_docs:
            print(f"Data Docs: {report.data_docs}")
    return 0 if report.success else 1


def _pools(args: argparse.Namespace) -> int:
    from personalize_pipeline.config import pools_document

    print(json.dumps(pools_document(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="personalize-pipeline", description="Amazon Personalize pipeline tools")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a Personalize CSV against the pipeline's data rules")
    validate.add_argument("--dataset", required=True, choices=["interactions", "items", "users"])
    validate.add_argument("path", type=Path)
    validate.add_argument("--config", type=Path, help="pipeline YAML whose event filter and thresholds apply")
    validate.add_argument("--data-docs", type=Path, help="write GX Data Docs HTML here when rules fail")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(handler=_validate)
    pools = commands.add_parser("pools", help="print the Airflow pools (sized to Personalize quotas) as JSON "
                                "for `airflow pools import`")
    pools.set_defaults(handler=_pools)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
