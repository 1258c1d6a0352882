# A stand-in for apache/airflow, built where no registry is reachable: Debian from debootstrap (imported as
# ROOTFS_IMAGE), Python in a virtual environment on PATH, Airflow and the metadata DB drivers, and the official
# image's layout (user airflow with uid 50000 in group 0, AIRFLOW_HOME=/opt/airflow, /entrypoint). Test use only.
ARG ROOTFS_IMAGE
FROM ${ROOTFS_IMAGE}
ARG AIRFLOW_VERSION=3.3.1
# The CA bundle the build machine trusts (a registry reached through a TLS-inspecting proxy works as on the host).
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV AIRFLOW_HOME=/opt/airflow \
    PATH=/opt/airflow-python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home airflow \
    && mkdir -p /opt/airflow && chown airflow:0 /opt/airflow && chmod 775 /opt/airflow \
    && python3 -m venv /opt/airflow-python && chown -R airflow:0 /opt/airflow-python
# The pins this image installs under; the project's Dockerfile installs under them too (AIRFLOW_CONSTRAINTS).
COPY constraints.txt /opt/airflow-python/constraints.txt
COPY entrypoint.sh /entrypoint
USER airflow
RUN pip install --no-cache-dir --constraint /opt/airflow-python/constraints.txt \
        "apache-airflow==${AIRFLOW_VERSION}" psycopg2-binary asyncpg
WORKDIR /opt/airflow
ENTRYPOINT ["/usr/bin/tini", "--", "/entrypoint"]
CMD ["--help"]
