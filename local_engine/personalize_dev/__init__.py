"""Development tooling around the pipeline: the demo, the standalone Airflow stack, benchmarks, the sample LMS
database and the reliability report. Installed with the local engine; no Airflow worker needs it."""
