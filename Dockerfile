# The OTO image: one image for `oto init`, `oto serve` and `oto worker` (deploy/docker-compose.yaml).
#
#   docker build -t oto:local .
#   docker run --rm oto:local --help
#
# It runs as the unprivileged user `oto`. A worker that must run jobs needing root is started as root
# on its own task queue (`user: "0:0"`, the worker-root service of the compose file): a documented
# choice, see docs/deploy.md. The image has no sudo.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OTO_HOME=/var/lib/oto

# openssl: the program of the demo catalog (data/openssl.json runs /usr/bin/openssl).
RUN apt-get update \
    && apt-get install --yes --no-install-recommends openssl ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1515 oto \
    && useradd --system --uid 1515 --gid oto --home-dir /var/lib/oto --shell /usr/sbin/nologin oto \
    && mkdir -p /var/lib/oto/runs \
    && chown -R oto:oto /var/lib/oto

# The project, installed as a package with the dependencies of pyproject.toml.
WORKDIR /opt/oto
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && rm -rf build src/*.egg-info
# The catalogs of real programs (oto import /opt/oto/data/openssl.json).
COPY data ./data

USER oto
WORKDIR /var/lib/oto
# The API (OTO_API_PORT) and a worker's Prometheus metrics (OTO_METRICS_PORT).
EXPOSE 1515 9464
ENTRYPOINT ["oto"]
CMD ["--help"]
