# syntax=docker/dockerfile:1
# The comeback stream worker.
#   docker build -t comeback:local .
#   docker run --rm comeback:local config          # any sub-command; the default is `worker`
# Configured only by COMEBACK_* environment variables (streams/settings.py).

# --- build: the project and its production extra in a virtualenv (no dev/test deps) ---
FROM python:3.11.14-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/comeback
WORKDIR /src
# What is sent here is filtered by .dockerignore.
COPY . .
RUN /opt/comeback/bin/pip install ".[rocksdb]"

# --- runtime: the virtualenv only, run by an unprivileged user ---
FROM python:3.11.14-slim-bookworm

ENV PATH=/opt/comeback/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COMEBACK_STORE=rocksdb:// \
    COMEBACK_DATA_DIR=/data \
    COMEBACK_WEB_HOST=0.0.0.0 \
    COMEBACK_WEB_PORT=6066

# /data holds the RocksDB table store; it is created and owned by the user before VOLUME,
# so a fresh volume starts out writable by it.
RUN groupadd --system --gid 10001 comeback \
 && useradd --system --uid 10001 --gid comeback --home-dir /data --no-create-home \
            --shell /usr/sbin/nologin comeback \
 && mkdir /data \
 && chown comeback:comeback /data

COPY --from=build /opt/comeback /opt/comeback

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6066
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:6066/healthz', timeout=3)"]

ENTRYPOINT ["comeback"]
CMD ["worker"]
