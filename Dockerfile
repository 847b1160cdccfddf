# syntax=docker/dockerfile:1
# One image for every role: the entrypoint is the `origin502` CLI and the role is the command,
#   docker run IMAGE serve --port 3000
#   docker run IMAGE worker --metrics-port 9100
#   docker run IMAGE scheduler --metrics-port 9101
#   docker run IMAGE diagnose https://origin.example.com   (one-off diagnosis, no Redis)
#
# Build: docker build -t origin502:dev .
# The base is pinned to a patch release; pin it by digest too (python:3.11.14-slim-bookworm@sha256:…)
# when your registry policy asks for it.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# ---- build: install the project and its dependencies into a virtualenv ----
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/origin502
ENV PATH=/opt/origin502/bin:$PATH

WORKDIR /src
# The metadata first, so a source-only change still reuses nothing it should not: every
# dependency has a wheel, so no compiler is needed and the layer stays small.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY workers ./workers
RUN pip install --no-cache-dir . \
    && python -m compileall -q /opt/origin502 \
    && origin502 --help > /dev/null

# ---- runtime: the virtualenv on a clean base, as an unprivileged user ----
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="origin502" \
      org.opencontainers.image.description="Tells an on-call team why CloudFront answers 502 for their origin." \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric UID/GID so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 origin502 \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin origin502

COPY --from=build /opt/origin502 /opt/origin502

# Bytecode was compiled at build time: the root filesystem can be read-only at run time.
ENV PATH=/opt/origin502/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /tmp
USER 10001:10001

# 3000: Slack events (serve); 9100 / 9101: /metrics and /healthz of worker / scheduler.
EXPOSE 3000 9100 9101

# No HEALTHCHECK: each role serves /healthz on its own port, and Kubernetes uses its own
# liveness and readiness probes (see helm/origin502), never Docker's HEALTHCHECK.
ENTRYPOINT ["origin502"]
CMD ["--help"]
