# syntax=docker/dockerfile:1.7
# One image recipe for every mentionflow service; SERVICE names which one (ingest, classify,
# routing, publish, console). Built from the repository root, the uv workspace
# (docker-compose.yml does this):
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=classify -t mentionflow-classify .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
# The uv the Makefile pins, from PyPI like everything else.
ARG UV_VERSION=0.13.9
RUN test -n "${SERVICE}" || (echo "--build-arg SERVICE=<ingest|classify|routing|publish|console> is required" && false)
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/mentionflow/venv
WORKDIR /src
# 1. Third-party dependencies exactly as uv.lock pins them; only the lock and the pyproject
#    files are copied first, so this layer survives every code change.
COPY pyproject.toml uv.lock ./
COPY libs/mentionflow/pyproject.toml libs/mentionflow/pyproject.toml
COPY services/${SERVICE}/pyproject.toml services/${SERVICE}/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "mentionflow-${SERVICE}"
# 2. The runtime library and this service only (services never import each other; the operator
#    tools in tools/ belong to no image), installed non-editable so the runtime image needs the
#    venv alone.
COPY libs/mentionflow libs/mentionflow
COPY services/${SERVICE} services/${SERVICE}
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "mentionflow-${SERVICE}"

FROM ${PYTHON_IMAGE}
ARG SERVICE
# The console lays out the monthly client report's PDF with WeasyPrint, which needs Pango and a
# font from Debian (the Makefile's system-deps installs the same on a developer's machine).
RUN if [ "${SERVICE}" = "console" ]; then \
        apt-get update -q && apt-get install -y -q --no-install-recommends \
            libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
        && rm -rf /var/lib/apt/lists/*; \
    fi
RUN groupadd --system --gid 10001 mentionflow \
    && useradd --system --uid 10001 --gid mentionflow --no-create-home --shell /usr/sbin/nologin mentionflow
COPY --from=build /opt/mentionflow/venv /opt/mentionflow/venv
ENV PATH=/opt/mentionflow/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MENTIONFLOW_SERVICE=${SERVICE} \
    MENTIONFLOW_HTTP__HOST=0.0.0.0 \
    MENTIONFLOW_HTTP__PORT=8000
USER mentionflow:mentionflow
EXPOSE 8000
# Liveness only (/readyz also checks Kafka and PostgreSQL, which compose checks separately).
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MENTIONFLOW_HTTP__PORT', '8000'), timeout=3)" || exit 1
# The service drains in-flight work, commits and flushes on SIGTERM; exec keeps it PID 1.
STOPSIGNAL SIGTERM
CMD exec "mentionflow-${MENTIONFLOW_SERVICE}"
