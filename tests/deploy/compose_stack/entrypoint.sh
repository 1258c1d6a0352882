#!/bin/bash
# The official image's entrypoint contract, reduced to what the compose stack uses: a command that is a program
# (bash, python, airflow, ...) runs as given; anything else is an airflow subcommand (`api-server`, `scheduler`).
set -euo pipefail
case "${1:-}" in
  bash | sh | python | python3 | airflow | pip | personalize-* | moto_server) exec "$@" ;;
  *) exec airflow "$@" ;;
esac
