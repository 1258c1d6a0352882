# The Airflow image of this project on the official apache/airflow image: the deployable requirements
# (requirements.txt: the provider's and the pipeline's wheels, the pipeline's runtime dependencies) installed under
# Airflow's official constraints for the base image's Airflow and Python, then the DAG package's files. Nothing of
# the local engine is in it. The compose stack also builds the `local-engine` target (engine + moto + dev tooling)
# for its stand-in services. Python 3.12 or 3.13: docker build --build-arg PYTHON_VERSION=3.13 .
ARG AIRFLOW_VERSION=3.3.1
ARG PYTHON_VERSION=3.12
# The image every stage starts from. Production keeps the official one; a stand-in with the same layout (user
# airflow, uid 50000, AIRFLOW_HOME=/opt/airflow, /entrypoint, Airflow installed) can replace it where no registry
# is reachable, as the compose test does: --build-arg BASE_IMAGE=...
ARG BASE_IMAGE=apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

# The two wheels requirements.txt names (what `make dist` builds into dist/).
FROM ${BASE_IMAGE} AS wheels
COPY --chown=airflow:0 plugins /tmp/src/plugins
COPY --chown=airflow:0 include/pyproject.toml /tmp/src/include/pyproject.toml
COPY --chown=airflow:0 include/personalize_pipeline /tmp/src/include/personalize_pipeline
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/dist /tmp/src/plugins /tmp/src/include

FROM ${BASE_IMAGE} AS runtime
ARG AIRFLOW_VERSION
ARG PYTHON_VERSION
# Airflow's official constraints for this Airflow and Python (what MWAA enforces too); override with a file or
# URL of your own, e.g. --build-arg AIRFLOW_CONSTRAINTS=/opt/airflow/constraints.txt after COPYing it.
ARG AIRFLOW_CONSTRAINTS=https://raw.githubusercontent.com/apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-${PYTHON_VERSION}.txt
WORKDIR /opt/airflow
COPY --chown=airflow:0 --from=wheels /tmp/dist /opt/airflow/dist
COPY --chown=airflow:0 requirements.txt /opt/airflow/requirements.txt
# apache-airflow==${AIRFLOW_VERSION}: the requirements may never move the base image's Airflow.
RUN pip install --no-cache-dir --constraint "${AIRFLOW_CONSTRAINTS}" \
        "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.txt
# The DAG package's files under AIRFLOW_HOME, where the pipeline root resolves (dags/'s parent).
COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 include/config /opt/airflow/include/config
COPY --chown=airflow:0 include/sql /opt/airflow/include/sql
COPY --chown=airflow:0 include/schemas /opt/airflow/include/schemas
COPY --chown=airflow:0 expectations /opt/airflow/expectations

# Development stand-ins for the compose stack (moto's S3 server, the local Personalize engine, the sample data of
# airflow-init): the runtime image plus the local engine. Never deployed.
FROM runtime AS local-engine
ARG AIRFLOW_CONSTRAINTS
COPY --chown=airflow:0 local_engine /tmp/src/local_engine
COPY --chown=airflow:0 docker/airflow-init.sh docker/airflow_init.py /opt/airflow/docker/
RUN pip install --no-cache-dir --constraint "${AIRFLOW_CONSTRAINTS}" /tmp/src/local_engine
USER root
# implicit (the engine's matrix factorisation) loads the OpenMP runtime; a slim base image may not carry it.
RUN if ! ldconfig -p | grep -q libgomp.so.1; then \
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgomp1 \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /opt/personalize-local/data && chown -R airflow:0 /opt/personalize-local
USER airflow

# The default target: the deployable image.
FROM runtime AS airflow
