"""The production image builds from the repository and starts (issue 23).

Builds the Dockerfile with Podman (no daemon) on a Debian base made by debootstrap, as no
registry answers here (scripts/container-setup.sh makes it, and caches it and Podman's
layers outside the repository). Then brings up, with podman-compose from
docker-compose.yml itself, the compose file's services that run from this image: the
records migration job, the schedules job, the worker (the file's own health check passes
once Temporal sees it polling; its log says the release) and the API (GET /readyz says
ready and the release); with the file's commands, environment, secrets and mutual TLS to
Temporal (the dev server behind a proxy that requires a client certificate of the test's
CA, named `temporal` as in compose), and the records in this machine's PostgreSQL.

The others cannot run here, as their images come from a registry: temporal-db and
records-db (postgres), temporal-schema, temporal-namespace, temporal and temporal-ui
(temporalio/*), and prometheus. The dev server stands in for Temporal and the host's
PostgreSQL for the records database, through a small override of addresses
(compose_override below).

Skipped, saying why, where the image cannot be built here (no Podman and no root to
install it, no Debian mirror). scripts/test.sh runs this module beside the two passes.
"""

import contextlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from client.door import DoorKeys
from devstack.proxy import TcpProxy
from devstack.server import free_port
from records.db import throwaway_postgres_schema
from settings import Settings, release
from tests.records_fixtures import postgres_url
from tests.tls import CertificateAuthority

pytestmark = pytest.mark.devserver

ROOT = Path(__file__).resolve().parent.parent
IMAGE = f"localhost/ubp-orchestrator:{release()}-test"
# The host's CA bundle, for pip inside the build where HTTPS goes through a proxy it signs
# (CONTAINERS.md, step 4); a build secret, never in a layer. Without it the build goes on.
CA_BUNDLE = Path(os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"))
SECRETS = "/run/secrets"


def run(podman_env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], env=podman_env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def podman_env() -> dict[str, str]:
    """The environment Podman runs with here (its configuration and storage in the cache), with
    the base image's name in UBP_IMAGE_BASE; skips with the reason when it cannot be had."""
    done = subprocess.run(["bash", "scripts/container-setup.sh"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"the image cannot be built here: {done.stdout.strip()}")
    found = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return os.environ | found


@pytest.fixture(scope="module")
def image(podman_env: dict[str, str]) -> str:
    started = time.monotonic()
    secret = ["--secret", f"id=pipca,src={CA_BUNDLE}"] if CA_BUNDLE.is_file() else []
    built = run(
        podman_env, "build", "--pull=never", "--build-arg", f"BASE={podman_env['UBP_IMAGE_BASE']}", *secret,
        "-t", IMAGE, str(ROOT),
    )  # fmt: skip
    assert built.returncode == 0, f"podman build failed:\n{built.stdout[-4000:]}\n{built.stderr[-4000:]}"
    print(f"image built in {time.monotonic() - started:.0f} s")
    # The images of earlier builds (a lock since changed): the cache keeps this one's layers.
    run(podman_env, "image", "prune", "-f")
    return IMAGE


@pytest.fixture
def records_url(tmp_path: Path) -> Iterator[str]:
    """PostgreSQL (a throwaway schema) when it answers, as in production; else a SQLite file
    in a folder the image's user may write."""
    url, _ = postgres_url()
    if url is not None:
        with throwaway_postgres_schema(url, "ubp_image") as schema_url:
            yield schema_url
        return
    folder = tmp_path / "records"
    folder.mkdir()
    folder.chmod(0o777)
    yield f"sqlite:///{folder / 'records.db'}"


@pytest.fixture
def secrets(tmp_path: Path, settings: Settings, door_keys: DoorKeys) -> Path:
    """The key ring and the door's keys (and their public halves, the worker's), as compose's
    secrets: files the image's user can read."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    assert settings.encryption_keys is not None and settings.door_key_file is not None
    (folder / "ubp-encryption-keys").write_text(settings.encryption_keys.get_secret_value())
    shutil.copyfile(settings.door_key_file, folder / "ubp-door-keys")
    (folder / "ubp-door-public-keys").write_text(door_keys.public_json())
    for secret in folder.iterdir():
        secret.chmod(0o644)
    return folder


def test_the_image_runs_the_release_not_as_root(podman_env: dict[str, str], image: str) -> None:
    done = run(podman_env, "run", "--rm", image, "sh", "-c", "ubp --version && id -u")
    assert done.returncode == 0, done.stderr
    version, uid, *_ = done.stdout.splitlines()
    assert version == f"ubp {release()}"
    assert uid != "0"


def wait_ready(port: int) -> dict | None:
    """/readyz's answer once it is 200, or None after a minute."""
    for _ in range(120):
        # Not ready yet (503, an HTTPError) or not listening yet: both are OSErrors.
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer,
        ):
            found: dict = json.load(answer)
            return found
        time.sleep(0.5)
    return None


@pytest.fixture
def temporal_tls(dev_server_env, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """Temporal as compose sets it up: TLS, a client certificate required, the server named
    `temporal`: the dev server behind a TLS proxy. Yields its port and TEMPORAL_TLS_DIR with
    the CA and each client's certificate, as docs/operations.md makes them."""
    folder = tmp_path / "temporal-tls"
    folder.mkdir()
    ca = CertificateAuthority(folder, "ca")
    served = ca.issue("server", server=True, names=("temporal", "localhost"))
    for client in ("worker", "api", "admin", "ui"):
        ca.issue(client, server=False)
    for file in folder.iterdir():
        file.chmod(0o644)  # inside a folder only root enters (docs/operations.md)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca.pem)
    context.load_cert_chain(served.cert, served.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC
    host, port = dev_server_env.client.service_client.config.target_host.rsplit(":", 1)
    proxy = TcpProxy(host, int(port), tls=context)
    proxy.restore()
    try:
        yield proxy.port, folder
    finally:
        proxy.close()


def compose_override(temporal_port: int, records_url: str, task_queue: str, api_port: int, metrics_port: int) -> dict:
    """Only where this machine differs from production: the host's network (the dev server
    and PostgreSQL listen on 127.0.0.1), their addresses, a task queue of the test's own, and
    free ports; a SQLite records file's folder, shared (without PostgreSQL here). Everything
    else (commands, secrets, TLS, health checks) is the compose file's."""
    here: dict[str, str | int] = {
        "UBP_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "UBP_TEMPORAL_NAMESPACE": "default",
        "UBP_TASK_QUEUE": task_queue,
        "DATABASE_URL": records_url,
    }
    own: dict[str, dict[str, str | int]] = {
        "records-migrate": {},
        "schedules": {},
        "worker": {"UBP_WORKER_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}"},
        "api": {"UBP_API_HOST": "127.0.0.1", "UBP_API_PORT": api_port},
    }
    sqlite = records_url.removeprefix("sqlite:///")
    shared = [f"{Path(sqlite).parent}:{Path(sqlite).parent}"] if sqlite != records_url else []
    return {
        "services": {
            name: {"network_mode": "host", "environment": here | extra, "volumes": shared}
            for name, extra in own.items()
        }
    }


def test_the_compose_files_own_services_come_up_with_podman_compose(
    podman_env: dict[str, str],
    image: str,
    temporal_tls: tuple[int, Path],
    settings: Settings,
    records_url: str,
    secrets: Path,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    temporal_port, tls_dir = temporal_tls
    api_port = free_port()
    override = tmp_path / "compose.override.yml"
    override.write_text(
        yaml.safe_dump(compose_override(temporal_port, records_url, settings.task_queue, api_port, free_port()))
    )
    project = f"ubp-test-{uuid.uuid4().hex[:8]}"
    # What compose refuses to start without; the secrets are real files, the rest of no use here.
    environment = podman_env | {
        "UBP_VERSION": image.rpartition(":")[2],
        "TEMPORAL_TLS_DIR": str(tls_dir),
        "UBP_ENCRYPTION_KEY_FILE": str(secrets / "ubp-encryption-keys"),
        "UBP_DOOR_KEY_FILE": str(secrets / "ubp-door-keys"),
        "UBP_DOOR_PUBLIC_KEY_FILE": str(secrets / "ubp-door-public-keys"),
        "TEMPORAL_DB_PASSWORD": "unused",
        "RECORDS_DB_PASSWORD": "unused",
        "UBP_RETENTION_YEARS": "6",
        "UBP_PUBLIC_URL": "https://ubp.example.org",
        "UBP_SMTP_HOST": "127.0.0.1",
        "UBP_MAIL_FROM": "UBP notices <notices@example.org>",
        "UBP_OIDC_ISSUER": "https://login.example.org",
        "UBP_OIDC_CLIENT_ID": "inbox",
        "UBP_OIDC_CLIENT_SECRET": "unused",
        "UBP_SESSION_SECRET": "unused-but-long-enough-for-the-settings",
        "TEMPORAL_UI_OIDC_CLIENT_ID": "ui",
        "TEMPORAL_UI_OIDC_CLIENT_SECRET": "unused",
        "TEMPORAL_UI_PUBLIC_URL": "https://temporal-ui.example.org",
    }
    compose = [
        sys.executable,
        "-m",
        "podman_compose",
        "-p",
        project,
        "-f",
        str(ROOT / "docker-compose.yml"),
        "-f",
        str(override),
    ]

    def up(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*compose, "up", "--no-deps", "--no-build", *args], env=environment,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    try:
        # The deploy jobs, in the order compose runs them, each to its end.
        for job in ("records-migrate", "schedules"):
            done = up("--abort-on-container-exit", "--exit-code-from", job, job)
            assert done.returncode == 0, f"{job}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            print(f"{job} done at {time.monotonic() - started:.0f} s")
        done = up("-d", "worker", "api")
        assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

        ready = wait_ready(api_port)
        assert ready == {"status": "ready", "temporal": "ok", "records": "ok", "release": release()}
        print(f"api ready at {time.monotonic() - started:.0f} s")
        # The compose file's own health check of the worker (podman runs it on demand).
        worker = f"{project}_worker_1"
        for _ in range(40):
            healthy = run(podman_env, "healthcheck", "run", worker)
            running = run(podman_env, "inspect", "-f", "{{.State.Running}}", worker).stdout.strip() == "true"
            if healthy.returncode == 0 or not running:
                break
            time.sleep(0.5)
        logs = run(podman_env, "logs", worker)
        assert healthy.returncode == 0, f"{healthy.stdout}{healthy.stderr}\n{logs.stderr[-3000:]}"
        assert f"ubp {release()}: worker polling task queue {settings.task_queue}" in logs.stderr
        print(f"podman-compose: jobs, worker and API healthy in {time.monotonic() - started:.0f} s")
    finally:
        subprocess.run([*compose, "down", "-t", "5"], env=environment, capture_output=True, timeout=120)
