# A stand-in for the official postgres image where no registry is reachable: Debian's PostgreSQL with the
# official image's entrypoint contract (POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB create the cluster on first
# start in /var/lib/postgresql/data; arguments starting with '-' go to postgres). Test use only.
ARG ROOTFS_IMAGE
FROM ${ROOTFS_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/* && ln -s /usr/lib/postgresql/*/bin /usr/lib/postgresql/bin
ENV PATH=/usr/lib/postgresql/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
