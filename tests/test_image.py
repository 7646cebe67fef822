"""The production image builds from the repository and starts (issue 23).

Builds the Dockerfile with Podman (no daemon) on a Debian base made by debootstrap, as no
registry answers here (scripts/container-setup.sh makes it, and caches it and Podman's
layers outside the repository); then, from the image, as docker-compose.yml runs them:
`ubp --version`, the records migration job, the schedules job, the worker (its health
check passes once Temporal sees it polling) and the API (GET /readyz), against the dev
server and the records database on this machine (the containers use the host's network).

Skipped, saying why, where the image cannot be built here (no Podman and no root to
install it, no Debian mirror). scripts/test.sh runs this module beside the two passes.
"""

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.server import free_port
from records.db import throwaway_postgres_schema
from settings import Settings, release
from tests.records_fixtures import postgres_url

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
def secrets(tmp_path: Path, settings: Settings) -> Path:
    """The key ring and the door's keys, as compose's secrets: files the image's user can read."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    assert settings.encryption_keys is not None and settings.door_key_file is not None
    (folder / "ubp-encryption-keys").write_text(settings.encryption_keys.get_secret_value())
    shutil.copyfile(settings.door_key_file, folder / "ubp-door-keys")
    for secret in folder.iterdir():
        secret.chmod(0o644)
    return folder


def test_the_image_runs_the_release_not_as_root(podman_env: dict[str, str], image: str) -> None:
    done = run(podman_env, "run", "--rm", image, "sh", "-c", "ubp --version && id -u")
    assert done.returncode == 0, done.stderr
    version, uid, *_ = done.stdout.splitlines()
    assert version == f"ubp {release()}"
    assert uid != "0"


def test_the_worker_and_the_api_start_from_the_image_and_are_healthy(
    podman_env: dict[str, str], image: str, dev_server_env, settings: Settings, records_url: str, secrets: Path
) -> None:
    started = time.monotonic()
    api_port = free_port()
    tag = uuid.uuid4().hex[:8]
    environment = {
        "UBP_TEMPORAL_ADDRESS": dev_server_env.client.service_client.config.target_host,
        "UBP_TEMPORAL_NAMESPACE": dev_server_env.client.namespace,
        "UBP_TASK_QUEUE": settings.task_queue,
        "DATABASE_URL": records_url,
        "UBP_ENCRYPTION_KEY_FILE": f"{SECRETS}/ubp-encryption-keys",
        "UBP_DOOR_KEY_FILE": f"{SECRETS}/ubp-door-keys",
        "UBP_WORKER_HEARTBEAT_FILE": "/tmp/ubp-worker-heartbeat",
        "UBP_API_HOST": "127.0.0.1",
        "UBP_API_PORT": str(api_port),
    }
    common = ["--network", "host", "--init", "-v", f"{secrets}:{SECRETS}:ro"]
    for name, value in environment.items():
        common += ["-e", f"{name}={value}"]
    names = {part: f"ubp-test-{part}-{tag}" for part in ("worker", "api")}
    try:
        for job in (["ubp", "db", "upgrade"], ["ubp", "schedules", "apply"]):
            done = run(podman_env, "run", "--rm", *common, image, *job, timeout=120)
            assert done.returncode == 0, f"{' '.join(job)}: {done.stdout}\n{done.stderr}"
        worker = run(podman_env, "run", "-d", "--name", names["worker"], *common, image)
        assert worker.returncode == 0, worker.stderr
        api = run(podman_env, "run", "-d", "--name", names["api"], *common, image, "ubp", "api")
        assert api.returncode == 0, api.stderr

        ready = None
        for _ in range(120):
            # Not ready yet (503, an HTTPError) or not listening yet: both are OSErrors.
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{api_port}/readyz", timeout=5) as answer,
            ):
                ready = json.load(answer)
                break
            time.sleep(0.5)
        logs = run(podman_env, "logs", names["api"]).stderr[-3000:]
        assert ready == {"status": "ready", "temporal": "ok", "records": "ok", "release": release()}, logs

        # The compose file's health check, inside the worker's container: Temporal sees it polling.
        healthy = None
        for _ in range(60):
            healthy = run(podman_env, "exec", names["worker"], "python", "-m", "client.liveness",
                          environment["UBP_WORKER_HEARTBEAT_FILE"])  # fmt: skip
            if healthy.returncode == 0:
                break
            time.sleep(0.5)
        worker_log = run(podman_env, "logs", names["worker"]).stderr
        assert healthy is not None and healthy.returncode == 0, (
            f"{healthy.stderr if healthy else ''}\n{worker_log[-3000:]}"
        )
        assert f"ubp {release()}: worker polling task queue {settings.task_queue}" in worker_log
        print(f"migrated, scheduled, worker and API healthy in {time.monotonic() - started:.0f} s")
    finally:
        for name in names.values():
            run(podman_env, "rm", "-f", "-t", "5", name)
