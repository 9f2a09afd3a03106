"""The deployment artifacts against what OTO really is, so they cannot rot silently without Docker.

deploy/docker-compose.yaml, deploy/.env.example, the Dockerfile, .dockerignore and docs/deploy.md are
checked against the fields of ``oto.settings.Settings``, the verbs of the ``oto`` CLI (introspected
from the Typer app) and the routes of the API. A verb that is not registered yet (``serve``,
``worker``, ``dev`` land with the engine and the API) makes its test fail on purpose.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import typer.main
import yaml

from oto.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
DOCS = ROOT / "docs" / "deploy.md"

# The services the compose file must have, and the oto verb each OTO service runs.
OTO_SERVICES = {"migrate": "init", "api": "serve", "worker": "worker"}
INFRA_SERVICES = ("postgres", "temporal", "temporal-ui")
TEMPORAL_PORT = 7233
POSTGRES_PORT = 5432

OTO_VARIABLE = re.compile(r"\bOTO_[A-Z0-9_]+\b")


# --- reading the files -------------------------------------------------------------------------------


def parse_env_file(path: Path) -> dict[str, str]:
    """A Compose env file: KEY=VALUE lines, # comments, optional matching quotes around the value."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key), f"{path.name}:{number}: not KEY=VALUE: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        assert key not in values, f"{path.name}:{number}: {key} is set twice"
        values[key] = value
    return values


_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def references(text: str) -> Iterator[tuple[str, str | None, str | None]]:
    """Every ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` and ``$VAR`` in a string, as (name, op, arg)."""
    for match in _REFERENCE.finditer(text):
        if match["escaped"]:
            continue
        if match["bare"]:
            yield match["bare"], None, None
        else:
            yield match["braced"], match["op"], match["arg"]


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Compose's interpolation of every string in a parsed compose file (``$$`` is a literal ``$``)."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        unset = name not in variables or (op is not None and op.startswith(":") and not variables[name])
        if op in (":-", "-") and unset:
            return arg
        if op in (":?", "?") and unset:
            raise AssertionError(f"${{{name}}} is required: {arg}")
        return variables.get(name, "")

    return _REFERENCE.sub(substitute, value)


@cache
def env_example() -> dict[str, str]:
    return parse_env_file(ENV_EXAMPLE)


@cache
def raw_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict), "no services in the compose file"
    return loaded


@cache
def compose() -> dict[str, Any]:
    """The compose file as ``docker compose --env-file deploy/.env.example`` sees it."""
    resolved: dict[str, Any] = interpolate(raw_compose(), env_example())
    return resolved


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def service(name: str) -> dict[str, Any]:
    assert name in services(), f"the compose file has no service {name!r}"
    return services()[name]


def oto_service_names() -> list[str]:
    """Services that run the OTO image: those with an ``oto`` verb as their command."""
    return [name for name, spec in raw_compose()["services"].items() if spec.get("build") or name in OTO_SERVICES]


def as_dict(environment: Any) -> dict[str, str]:
    """A service's ``environment`` (a mapping or a list of KEY=VALUE) as a dict of strings."""
    if environment is None:
        return {}
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in environment.items()}
    pairs = (str(item).partition("=") for item in environment)
    return {key: value for key, _, value in pairs}


def env_files(spec: dict[str, Any]) -> list[tuple[Path, bool]]:
    """A service's env files, relative to the compose file's folder, with whether each is required."""
    entries = spec.get("env_file") or []
    if isinstance(entries, str | dict):
        entries = [entries]
    found = []
    for entry in entries:
        if isinstance(entry, str):
            found.append((DEPLOY / entry, True))
        else:
            found.append((DEPLOY / entry["path"], bool(entry.get("required", True))))
    return found


def effective_env(name: str) -> dict[str, str]:
    """What a container's environment holds: its required env files, then its ``environment``."""
    spec = service(name)
    env: dict[str, str] = {}
    for path, required in env_files(spec):
        if required:
            env.update(parse_env_file(path))
    env.update(as_dict(spec.get("environment")))
    return env


def settings_of(env: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a process with exactly this environment would read (no .env file)."""
    for field in Settings.model_fields:
        monkeypatch.delenv(f"OTO_{field.upper()}", raising=False)
    for key, value in env.items():
        if key.startswith("OTO_"):
            monkeypatch.setenv(key, value)
    return Settings(_env_file=None)


def command_of(spec: dict[str, Any]) -> list[str]:
    command = spec.get("command")
    assert command, "an OTO service must say which oto verb it runs"
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def depends_on(spec: dict[str, Any]) -> dict[str, str]:
    """depends_on as {service: condition} (the short list form means service_started)."""
    entries = spec.get("depends_on") or {}
    if isinstance(entries, list):
        return dict.fromkeys(entries, "service_started")
    return {name: (options or {}).get("condition", "service_started") for name, options in entries.items()}


def published_ports(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(host port, container port) of each published port, short or long syntax."""
    found = []
    for entry in spec.get("ports") or []:
        if isinstance(entry, dict):
            found.append((str(entry.get("published", "")), str(entry["target"])))
            continue
        mapping = str(entry).split("/")[0]
        parts = mapping.rsplit(":", 2)
        if len(parts) == 1:
            found.append(("", parts[0]))
        else:
            found.append((parts[-2], parts[-1]))
    return found


def settings_field(variable: str) -> str:
    return variable.removeprefix("OTO_").lower()


def default_of(field: str) -> Any:
    return Settings.model_fields[field].get_default(call_default_factory=False)


# --- the CLI -----------------------------------------------------------------------------------------


@cache
def cli() -> Any:
    """The ``oto`` command as Click sees it (Typer may vendor Click: no isinstance checks here)."""
    from oto.cli.app import app

    group = typer.main.get_command(app)
    assert hasattr(group, "commands"), "the oto CLI is not a group of verbs"
    return group


def verb(name: str) -> Any:
    commands: dict[str, Any] = cli().commands
    assert name in commands, (
        f"`oto {name}` is not a verb of the CLI (it has: {', '.join(sorted(commands))}); "
        "the deployment uses it, so it must be registered"
    )
    return commands[name]


def options_of(command: Any) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("-")}


# --- the compose file --------------------------------------------------------------------------------


def test_the_compose_file_has_every_service() -> None:
    for name in (*INFRA_SERVICES, *OTO_SERVICES):
        service(name)


def test_every_oto_variable_named_is_a_setting() -> None:
    """Every OTO_* in the compose file and the env file (comments too) is a field of Settings."""
    fields = set(Settings.model_fields)
    for path in (COMPOSE, ENV_EXAMPLE):
        for variable in sorted(set(OTO_VARIABLE.findall(path.read_text(encoding="utf-8")))):
            assert settings_field(variable) in fields, f"{path.name} names {variable}, which is not an OTO setting"


def test_the_env_file_points_at_the_compose_services() -> None:
    env = env_example()
    for variable in ("OTO_DATABASE_URL", "OTO_TEMPORAL_ADDRESS", "OTO_TEMPORAL_NAMESPACE", "OTO_TASK_QUEUE"):
        assert env.get(variable), f"deploy/.env.example must set {variable}"
    assert env["OTO_DATABASE_URL"].startswith("postgresql+psycopg://"), "use the psycopg driver"
    assert urlsplit(env["OTO_DATABASE_URL"]).hostname in services()
    assert env["OTO_TEMPORAL_ADDRESS"] == f"temporal:{TEMPORAL_PORT}"


def test_every_compose_variable_comes_from_the_env_file() -> None:
    """``--env-file deploy/.env.example`` alone resolves the compose file, and its defaults agree with it."""
    env = env_example()
    for name, op, arg in references(COMPOSE.read_text(encoding="utf-8")):
        assert name in env, f"the compose file uses ${{{name}}}, which deploy/.env.example does not set"
        if op in (":-", "-"):
            assert arg == env[name], f"${{{name}:-{arg}}} in the compose file, but {name}={env[name]} in the env file"
            if name.startswith("OTO_"):
                assert str(default_of(settings_field(name))) == arg, f"${{{name}:-{arg}}} is not OTO's default"


def test_every_dependency_exists() -> None:
    for name, spec in services().items():
        for dependency in depends_on(spec):
            assert dependency in services(), f"{name} depends on {dependency!r}, which is not a service"
            assert dependency != name


def test_postgres_and_temporal() -> None:
    postgres, temporal, ui = service("postgres"), service("temporal"), service("temporal-ui")
    assert str(postgres["image"]).startswith("postgres:")
    assert postgres.get("healthcheck"), "postgres needs a healthcheck: the others wait for it to be healthy"
    assert str(temporal["image"]).startswith("temporalio/auto-setup:")
    assert temporal.get("healthcheck"), "temporal needs a healthcheck: OTO waits for it to be healthy"
    assert depends_on(temporal).get("postgres") == "service_healthy"

    db = as_dict(postgres.get("environment"))
    env = as_dict(temporal.get("environment"))
    assert env.get("DB") == "postgres12"
    assert env.get("DB_PORT") == str(POSTGRES_PORT)
    assert env.get("POSTGRES_SEEDS") == "postgres"
    assert env.get("POSTGRES_USER") == db["POSTGRES_USER"]
    assert env.get("POSTGRES_PWD") == db["POSTGRES_PASSWORD"]
    assert str(TEMPORAL_PORT) in [str(port) for port in temporal.get("expose", [])] + [
        target for _, target in published_ports(temporal)
    ]

    assert str(ui["image"]).startswith("temporalio/ui:")
    assert as_dict(ui.get("environment")).get("TEMPORAL_ADDRESS") == f"temporal:{TEMPORAL_PORT}"
    assert depends_on(ui).get("temporal") in ("service_healthy", "service_started")


@pytest.mark.parametrize("name", sorted(set(OTO_SERVICES) | set(oto_service_names())))
def test_oto_services_use_the_oto_image_and_the_env_file(name: str) -> None:
    spec = service(name)
    build = spec.get("build")
    assert build, f"{name} must build the OTO image"
    context = DEPLOY / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE
    files = env_files(spec)
    assert (ENV_EXAMPLE, True) in files, f"{name} must read deploy/.env.example (env_file)"
    for path, required in files:
        assert path.exists() or not required, f"{name} needs {path}, which does not exist"


@pytest.mark.parametrize("name", sorted(set(OTO_SERVICES) | set(oto_service_names())))
def test_oto_services_run_real_verbs(name: str) -> None:
    """The verb a service runs is registered in the CLI, with the options it is given."""
    command = command_of(service(name))
    assert command[0] != "oto", "the image's ENTRYPOINT is oto: the command starts with the verb"
    if name in OTO_SERVICES:
        assert command[0] == OTO_SERVICES[name], f"{name} must run `oto {OTO_SERVICES[name]}`"
    found = verb(command[0])
    known = options_of(found)
    for part in command[1:]:
        if part.startswith("-"):
            assert part.split("=")[0] in known, f"`oto {command[0]}` has no option {part} ({name})"


@pytest.mark.parametrize("name", sorted(set(OTO_SERVICES) | set(oto_service_names())))
def test_oto_services_have_valid_settings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What each OTO container reads parses as Settings and points at the compose services."""
    settings = settings_of(effective_env(name), monkeypatch)
    url = urlsplit(settings.database_url)
    assert url.scheme == "postgresql+psycopg", f"{name}: OTO_DATABASE_URL must use postgresql+psycopg://"
    assert url.hostname == "postgres" and (url.port or POSTGRES_PORT) == POSTGRES_PORT
    db = as_dict(service("postgres").get("environment"))
    assert unquote(url.username or "") == db["POSTGRES_USER"], f"{name}: the database user is not postgres's"
    assert unquote(url.password or "") == db["POSTGRES_PASSWORD"], f"{name}: the password is not postgres's"
    assert url.path.lstrip("/") == db["POSTGRES_DB"], f"{name}: the database is not postgres's POSTGRES_DB"

    host, _, port = settings.temporal_address.rpartition(":")
    assert host == "temporal" and int(port) == TEMPORAL_PORT, f"{name}: OTO_TEMPORAL_ADDRESS must be temporal:7233"
    namespace = as_dict(service("temporal").get("environment")).get("DEFAULT_NAMESPACE", "default")
    assert settings.temporal_namespace == namespace, f"{name}: Temporal's auto-setup creates {namespace!r}"

    if name != "migrate":
        deps = depends_on(service(name))
        assert deps.get("migrate") == "service_completed_successfully", f"{name} must wait for `oto init`"
        assert deps.get("temporal") in ("service_healthy", "service_started")


def test_migrate_runs_init_once() -> None:
    spec = service("migrate")
    assert command_of(spec) == ["init"]
    assert spec.get("restart") in (None, "no", "on-failure"), "a one-shot migration must not restart forever"
    assert depends_on(spec).get("postgres") == "service_healthy"
    assert not spec.get("ports")


def test_the_api_listens_on_the_published_port(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = service("api")
    settings = settings_of(effective_env("api"), monkeypatch)
    assert settings.api_host == "0.0.0.0", "in a container the API must listen on 0.0.0.0"
    ports = published_ports(spec)
    assert len(ports) == 1, "the api publishes exactly one port"
    (host, target), = ports
    assert int(target) == settings.api_port, "the published container port is not OTO_API_PORT"
    assert int(host) == settings.api_port
    if "OTO_API_PORT" not in env_example():
        assert settings.api_port == default_of("api_port")
    assert spec.get("healthcheck"), "the api needs a healthcheck"


def test_the_api_healthcheck_asks_a_real_route() -> None:
    from oto.api.app import create_app
    from oto.services.database import Database

    test = " ".join(str(part) for part in service("api")["healthcheck"]["test"])
    paths = re.findall(r"/[a-z]+\b", test.split("127.0.0.1", 1)[-1])
    assert paths, "the api healthcheck should ask an HTTP route"
    database = Database("sqlite:///:memory:")
    try:
        routes = create_app(database).openapi()["paths"]
    finally:
        database.dispose()
    assert paths[0] in routes, f"the api healthcheck asks {paths[0]}, which the API does not serve"


def worker_names() -> list[str]:
    return [name for name in oto_service_names() if command_of(service(name))[0] == "worker"]


def test_workers_are_scalable_and_expose_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "worker" in worker_names()
    for name in worker_names():
        spec = service(name)
        assert "container_name" not in spec, f"{name}: a container_name forbids --scale"
        assert not spec.get("ports"), f"{name}: a fixed host port forbids --scale; use expose"
        assert "hostname" not in spec
        settings = settings_of(effective_env(name), monkeypatch)
        assert settings.metrics_port, f"{name}: set OTO_METRICS_PORT so Prometheus can scrape it"
        assert str(settings.metrics_port) in [str(port) for port in spec.get("expose", [])]
        assert spec.get("healthcheck"), f"{name} needs a healthcheck"


def test_oto_home_is_the_images_and_the_workers_volume() -> None:
    """OTO_HOME of the env file is the image's, and the workers keep it (their run folders) on a volume."""
    home = env_example().get("OTO_HOME")
    assert home, "deploy/.env.example must set OTO_HOME (the workers' run folders)"
    image_env = " ".join(rest for keyword, rest in instructions() if keyword == "ENV").split()
    assert f"OTO_HOME={home}" in image_env, "the Dockerfile's OTO_HOME differs from deploy/.env.example's"
    for name in worker_names():
        targets = [
            volume["target"] if isinstance(volume, dict) else str(volume).split(":")[1]
            for volume in service(name).get("volumes", [])
        ]
        assert home in targets, f"{name} keeps its run folders (OTO_HOME) on no volume"


# --- the image ---------------------------------------------------------------------------------------


@cache
def dockerfile_text() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", dockerfile_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_the_dockerfile_installs_the_project_and_runs_oto() -> None:
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "oto" in project["scripts"]
    entrypoints = [rest for keyword, rest in steps if keyword == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["oto"], "the ENTRYPOINT must be [\"oto\"]"
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert re.search(r"\bpip install (?:-\S+ )*\.(?:\s|$)", runs), "the image must `pip install .` the project"
    assert re.search(r"apt-get install[^&;]*\bopenssl\b", runs), "the demo catalog needs openssl in the image"
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1] == "oto", "the image must run as the non-root user oto"
    assert re.search(r"\buseradd\b[^&;]*\boto\b", runs)
    exposed = " ".join(rest for keyword, rest in steps if keyword == "EXPOSE").split()
    assert str(default_of("api_port")) in exposed


def test_the_dockerfile_copies_what_exists_and_is_not_ignored() -> None:
    ignored = [
        line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for must in (".git", ".venv", ".env"):
        assert must in ignored, f".dockerignore must keep {must} out of the image"
    for keyword, rest in instructions():
        if keyword not in ("COPY", "ADD") or "--from" in rest:
            continue
        for source in [part for part in rest.split() if not part.startswith("--")][:-1]:
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
            assert source.rstrip("/") not in ignored, f"the Dockerfile copies {source}, which .dockerignore drops"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    copied = " ".join(rest for keyword, rest in instructions() if keyword == "COPY")
    assert project["readme"] in copied.split(), "pip install . needs the readme pyproject.toml names"


# --- the documentation -------------------------------------------------------------------------------


@cache
def docs_text() -> str:
    return DOCS.read_text(encoding="utf-8")


def test_the_docs_name_every_service_and_setting() -> None:
    text = docs_text()
    for name in raw_compose()["services"]:
        assert f"`{name}`" in text, f"docs/deploy.md does not mention the compose service `{name}`"
    for field in Settings.model_fields:
        assert f"`OTO_{field.upper()}`" in text, f"docs/deploy.md does not mention OTO_{field.upper()}"
    for variable in set(OTO_VARIABLE.findall(text)):
        assert settings_field(variable) in Settings.model_fields, f"docs/deploy.md names {variable}, not a setting"


def test_the_docs_table_gives_the_real_defaults() -> None:
    rows = {}
    for line in docs_text().splitlines():
        match = re.match(r"\|\s*`(OTO_[A-Z_]+)`\s*\|([^|]*)\|", line)
        if match:
            rows[match[1]] = match[2]
    special = {**{field: "unset" for field in Settings.model_fields if default_of(field) is None},
               "home": "~/.oto", "database_url": "sqlite:///", "allow_sudo": "`0`", "metrics_port": "off"}
    for field in Settings.model_fields:
        variable = f"OTO_{field.upper()}"
        assert variable in rows, f"the settings table of docs/deploy.md has no row for {variable}"
        default = default_of(field)
        if isinstance(default, float) and default.is_integer():
            default = int(default)
        expected = special.get(field, f"`{default}`")
        assert expected in rows[variable], f"docs/deploy.md gives {variable} the default {rows[variable].strip()}"


def test_the_docs_give_the_compose_command() -> None:
    text = docs_text()
    assert "docker compose --env-file deploy/.env.example -f deploy/docker-compose.yaml up -d --scale worker=" in text
    for topic in ("oto dev", "oto apikey create", "--scope", "/metrics", "oto init", "--task-queue"):
        assert topic in text, f"docs/deploy.md should explain {topic}"


def _doc_commands() -> list[tuple[str, str | None]]:
    """(verb, subcommand) of every `oto ...` line in the code blocks of docs/deploy.md."""
    if not DOCS.exists():
        return []
    found: dict[tuple[str, str | None], None] = {}
    for block in re.findall(r"```[a-z]*\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S):
        for match in re.finditer(r"(?:^|[\s/])oto ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", block, re.M):
            found[(match[1], match[2])] = None
    return list(found)


@pytest.mark.parametrize(("name", "sub"), _doc_commands(), ids=[" ".join(filter(None, c)) for c in _doc_commands()])
def test_the_docs_use_real_verbs(name: str, sub: str | None) -> None:
    command = verb(name)
    if hasattr(command, "commands"):
        assert sub in command.commands, f"`oto {name}` has no subcommand {sub!r}"
