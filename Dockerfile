# Airflow image for the Personalize pipeline: the official Airflow image plus this project's locked
# dependencies and its own package (operators, pipeline, local engine). docker-compose.yaml builds it
# for every service, including the moto S3 stand-in and the personalize-local engine.
FROM apache/airflow:3.3.2-python3.11

# requirements.lock pins every distribution (resolved for Python 3.11 and apache-airflow 3.3.2). It is
# the constraints file as well, so pip cannot move any pin, and apache-airflow==${AIRFLOW_VERSION}
# (set by the base image) guards against an accidental Airflow upgrade or downgrade.
COPY --chown=airflow:0 requirements.lock /opt/airflow/requirements.lock
RUN pip install --no-cache-dir --constraint /opt/airflow/requirements.lock \
        "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.lock

# The repository, laid out as in git under AIRFLOW_HOME (dags/, plugins/, include/, expectations/,
# local_engine/; see .dockerignore), so the code's repo-relative defaults hold. Dependencies came
# from the lock above, hence --no-deps; setuptools is pinned there too, hence --no-build-isolation.
COPY --chown=airflow:0 . /opt/airflow/
RUN pip install --no-cache-dir --no-deps --no-build-isolation /opt/airflow

# Source folders first on sys.path: the bind-mounted live files (compose) win over the installed copy,
# and paths the code derives from __file__ (include/config, expectations/) resolve under /opt/airflow.
ENV PYTHONPATH=/opt/airflow/plugins:/opt/airflow/include:/opt/airflow/local_engine

# Writable home for the personalize-local engine's state (a named volume is mounted here).
USER root
RUN mkdir -p /opt/personalize-local/data && chown -R airflow:0 /opt/personalize-local
USER airflow
