#!/usr/bin/env bash
# One-shot set-up run by the airflow-init service, as root (like the official compose file's init):
# metadata DB migration, the shared airflow.cfg, the UI admin password, the sample LMS database and,
# in local mode, the bucket on the moto S3 server. Safe to run again.
set -euo pipefail

AIRFLOW_UID="${AIRFLOW_UID:-50000}"
LMS_DB=/opt/airflow/include/data/lms.db
HERE="$(cd "$(dirname "$0")" && pwd)"

if [[ "${AIRFLOW_UID}" == "0" ]]; then
  echo "WARNING: AIRFLOW_UID is 0; files written to the mounted folders will be owned by root." >&2
fi

mkdir -p /opt/airflow/logs /opt/airflow/config

echo "Migrating the metadata database (also writes ${AIRFLOW_CONFIG} if missing)"
/entrypoint airflow db migrate
/entrypoint airflow version

echo "Admin user for the UI"
/entrypoint python "${HERE}/airflow_init.py" admin-password

if [[ ! -f "${LMS_DB}" ]]; then
  echo "Generating the sample LMS database at include/data/lms.db"
  created_dir=false
  [[ -d "$(dirname "${LMS_DB}")" ]] || created_dir=true
  mkdir -p "$(dirname "${LMS_DB}")"
  /entrypoint python -m personalize_dev.sample_data --out "${LMS_DB}"
  chown "${AIRFLOW_UID}:0" "${LMS_DB}"
  if [[ "${created_dir}" == "true" ]]; then chown "${AIRFLOW_UID}:0" "$(dirname "${LMS_DB}")"; fi
fi

echo "Pools sized to Personalize quotas"
/entrypoint bash -c 'personalize-pipeline pools > /tmp/personalize-pools.json && airflow pools import /tmp/personalize-pools.json'

echo "Bucket"
/entrypoint python "${HERE}/airflow_init.py" local-bucket

chown -R "${AIRFLOW_UID}:0" /opt/airflow/logs /opt/airflow/config
echo "airflow-init done"
