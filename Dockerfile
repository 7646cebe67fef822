# The worker, the API and the `ubp` commands, in one image (docker-compose.yml runs it).
#
# The base: any Debian 12 with Python 3.11 and its venv module. By default the official
# slim image, pinned by digest (a tag can be moved under us; re-pin on purpose:
# `skopeo inspect docker://python:3.11-slim-bookworm`, then this line). tests/test_image.py
# builds on a base made by debootstrap instead (--build-arg BASE=...), as no registry
# answers there.
ARG BASE=docker.io/library/python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91
FROM ${BASE}

# The letters and other documents (WeasyPrint, printing.py): Pango and HarfBuzz, and fonts with Arial's metrics.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fontconfig fonts-liberation fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# A venv: Debian's own Python is "externally managed", and the slim image's is the system's too.
ENV VIRTUAL_ENV=/opt/ubp PATH=/opt/ubp/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN python3 -m venv "$VIRTUAL_ENV"

# The dependencies first, from the lock alone, each file checked against its hash: this
# layer is rebuilt only when the lock changes. Where the package index's certificate is
# signed by a CA the base does not know (a proxy), the build passes the host's bundle as
# the secret `pipca` (`--secret id=pipca,src=...`): used by this step only, in no layer.
COPY requirements/main.lock /tmp/main.lock
RUN --mount=type=secret,id=pipca \
    if [ -s /run/secrets/pipca ]; then export PIP_CERT=/run/secrets/pipca; fi; \
    pip install --no-cache-dir --require-hashes --no-deps -r /tmp/main.lock && rm /tmp/main.lock

# The project itself, from the repository as it is (.dockerignore leaves out what is not
# the code), built by the locked setuptools and adding nothing unlocked.
# The staff pages' styles are compiled from GOV.UK Frontend by scripts/setup.sh (npm and
# Dart Sass, not in this image): an image built from a tree without them would serve the
# pages unstyled, so the build stops and says so.
COPY . /src
RUN test -s /src/web/frontend/build/pages.css \
    || { echo "web/frontend/build/pages.css is missing: run scripts/setup.sh before building the image" >&2; exit 1; }; \
    pip install --no-cache-dir --no-deps --no-build-isolation /src && pip check && rm -rf /src

# Not root: the code and its packages are root's and read-only to the service.
RUN useradd --uid 10001 --user-group --home-dir /var/lib/ubp --create-home --shell /usr/sbin/nologin ubp
USER ubp
WORKDIR /var/lib/ubp
CMD ["python", "-m", "worker"]
