"""The Python steps of the airflow-init service (see airflow-init.sh next to this file).

    python docker/airflow_init.py admin-password  # SimpleAuthManager password file from _AIRFLOW_WWW_USER_*
    python docker/airflow_init.py local-bucket    # create PERSONALIZE_BUCKET if S3 has an endpoint URL
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

DEFAULT_BUCKET = "personalize-pipeline-local"


def write_admin_password(path: Path, username: str, password: str) -> None:
    """Set one user's password in the SimpleAuthManager passwords file, keeping any other users."""
    passwords = json.loads(path.read_text() or "{}") if path.exists() else {}
    passwords[username] = password
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(passwords) + "\n")
    path.chmod(0o600)


def s3_endpoint_url(conn_value: str) -> str | None:
    """The S3 endpoint URL of an AIRFLOW_CONN_* JSON value, or None when boto3 would use AWS itself."""
    extra = json.loads(conn_value).get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra)
    s3 = (extra.get("service_config") or {}).get("s3") or {}
    return s3.get("endpoint_url") or extra.get("endpoint_url")


def ensure_local_bucket(conn_value: str, bucket: str) -> str:
    """Create the bucket on the local S3 stand-in; on real AWS the bucket is managed outside Airflow."""
    if not s3_endpoint_url(conn_value):
        return f"real AWS: not creating s3://{bucket} (create it with the policy in include/iam/)"
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    hook = S3Hook(aws_conn_id="aws_default")
    if hook.check_for_bucket(bucket):
        return f"s3://{bucket} exists"
    hook.create_bucket(bucket_name=bucket)
    return f"created s3://{bucket}"


def main(argv: list[str]) -> int:
    step = argv[1] if len(argv) > 1 else ""
    if step == "admin-password":
        path = Path(os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
        username = os.environ.get("_AIRFLOW_WWW_USER_USERNAME", "airflow")
        write_admin_password(path, username, os.environ.get("_AIRFLOW_WWW_USER_PASSWORD", "airflow"))
        print(f"admin user {username!r}: password set in {path}")
    elif step == "local-bucket":
        bucket = os.environ.get("PERSONALIZE_BUCKET", DEFAULT_BUCKET)
        print(ensure_local_bucket(os.environ["AIRFLOW_CONN_AWS_DEFAULT"], bucket))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
