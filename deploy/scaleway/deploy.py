"""Point the Scaleway deployment at a new code image, and open or close the webserver.

Run by the GitHub workflows (or by hand) with the Scaleway SDK's usual environment, holding the
deploy key: SCW_ACCESS_KEY, SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID, SCW_DEFAULT_REGION (and
SCW_API_URL to talk to another endpoint). That key never reaches a job run or a container.

    python deploy/scaleway/deploy.py jobs --image IMAGE
        creates or updates one Serverless Jobs definition per size tier of job-definitions.json
        (found by name, so reruns update in place) and prints OBSERVATOIRE_JOB_DEFINITION_<TIER>=id.
        Plain settings go in the definitions' environment; every secret of the spec's `secrets`
        is a Secret Manager secret (created, or given a new version, from the variable of the same
        name when the deployer sets it) that the definitions reference by id, never by value.
    python deploy/scaleway/deploy.py containers --image IMAGE --webserver ID --daemon ID \
            OBSERVATOIRE_JOB_DEFINITION_SMALL=id ...
        moves the webserver and daemon Serverless Containers to the image and gives them the ids
    python deploy/scaleway/deploy.py webserver-hours --webserver ID [--at ISO-TIME]
        keeps one webserver instance warm during French working hours, none outside them
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from scaleway import Client
from scaleway.container.v1beta1 import ContainerV1Beta1API
from scaleway.jobs.v1alpha2 import CreateSecretsRequestSecretConfig, JobDefinition, JobsV1Alpha2API
from scaleway.secret.v1beta1 import SecretV1Beta1API
from scaleway_core.api import ScalewayException

SPEC = Path(__file__).with_name("job-definitions.json")
DEFAULT_PROFILE = (
    Path(__file__).resolve().parents[2] / "observatoire/data/countries/fr/profile.toml"
)
PARIS = ZoneInfo(tomllib.loads(DEFAULT_PROFILE.read_text(encoding="utf-8"))["time_zone"])
"""The working hours' time zone: France's, read from its country profile (the workflows run this
script without installing the package, so the profile is read as plain TOML)."""
OPENING = time(6, 45)
CLOSING = time(20, 0)
WORKING_DAYS = range(0, 5)  # Monday to Friday
DAEMON_COMMAND = ["sh", "./daemon.sh"]
RESERVED_PREFIX = "SCW_"
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY", "API_KEY")
LATEST = "latest"


class DeployError(Exception):
    """The deployment cannot go on; the message says what to fix."""


def definition_variable(tier: str) -> str:
    """The environment variable deploy/scaleway/dagster.yaml reads for a tier's definition id."""
    return f"OBSERVATOIRE_JOB_DEFINITION_{tier.upper()}"


def job_environment(spec: Mapping, environ: Mapping[str, str]) -> dict[str, str]:
    """The job runs' plain environment: the spec's fixed values plus those from the deployer.

    Refuses names that look like secrets (they belong in `secrets`) and Scaleway's reserved
    `SCW_*` names.
    """
    names = spec.get("environment_from_deployer", [])
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise DeployError(f"set these environment variables first: {', '.join(missing)}")
    environment = {**spec.get("environment", {}), **{name: environ[name] for name in names}}
    check_plain_names(environment, "job definition environment")
    return environment


def check_plain_names(environment: Mapping[str, str], where: str) -> None:
    """No secret-looking and no reserved `SCW_*` variable among plain environment variables."""
    secret_like = sorted(n for n in environment if any(w in n.upper() for w in SECRET_WORDS))
    if secret_like:
        raise DeployError(f"{where}: {', '.join(secret_like)} must be Secret Manager secrets")
    reserved = sorted(n for n in environment if n.upper().startswith(RESERVED_PREFIX))
    if reserved:
        names = ", ".join(reserved)
        raise DeployError(f"{where}: {names} use the reserved prefix {RESERVED_PREFIX}")


def ensure_secrets(
    api: SecretV1Beta1API,
    secrets: Mapping[str, str],
    environ: Mapping[str, str],
    region: str | None = None,
    project_id: str | None = None,
) -> dict[str, str]:
    """Secret Manager secret id per environment variable of `secrets` (variable -> secret name).

    A secret is created when missing, and given a new version when the deployer's variable of the
    same name holds a value other than its latest one; with no such variable it must exist.
    """
    ids: dict[str, str] = {}
    missing = []
    for variable, name in secrets.items():
        if variable.upper().startswith(RESERVED_PREFIX):
            raise DeployError(f"secret {variable} uses the reserved prefix {RESERVED_PREFIX}")
        found = api.list_secrets(
            scheduled_for_deletion=False, region=region, project_id=project_id, name=name
        ).secrets
        value = environ.get(variable)
        if found:
            secret_id = found[0].id
        elif value:
            secret_id = api.create_secret(
                name=name,
                protected=False,
                region=region,
                project_id=project_id,
                description=f"{variable} of the Observatoire job runs",
            ).id
        else:
            missing.append(f"{name} (for {variable})")
            continue
        if value and _latest_value(api, secret_id, region) != value:
            api.create_secret_version(
                secret_id=secret_id,
                region=region,
                data=base64.b64encode(value.encode("utf-8")).decode("ascii"),
            )
        ids[variable] = secret_id
    if missing:
        raise DeployError(
            "create these Secret Manager secrets, or set the variables to create them: "
            + ", ".join(missing)
        )
    return ids


def _latest_value(api: SecretV1Beta1API, secret_id: str, region: str | None) -> str | None:
    try:
        access = api.access_secret_version(secret_id=secret_id, revision=LATEST, region=region)
    except ScalewayException as error:
        if error.status_code == 404:
            return None
        raise
    return base64.b64decode(access.data).decode("utf-8")


def apply_secret_references(
    api: JobsV1Alpha2API, definition_id: str, secret_ids: Mapping[str, str], region: str | None
) -> None:
    """Make the definition reference exactly `secret_ids` (latest versions) as variables."""
    current = {
        ref.env_var.name: ref
        for ref in api.list_secrets(job_definition_id=definition_id, region=region).secrets
        if ref.env_var is not None
    }
    for variable, ref in current.items():
        wanted = secret_ids.get(variable)
        if wanted != ref.secret_manager_id or ref.secret_manager_version != LATEST:
            api.delete_secret(secret_id=ref.secret_id, region=region)
    to_create = [
        CreateSecretsRequestSecretConfig(
            secret_manager_id=secret_id, secret_manager_version=LATEST, env_var_name=variable
        )
        for variable, secret_id in secret_ids.items()
        if variable not in current
        or current[variable].secret_manager_id != secret_id
        or current[variable].secret_manager_version != LATEST
    ]
    if to_create:
        api.create_secrets(job_definition_id=definition_id, secrets=to_create, region=region)


def apply_job_definitions(
    api: JobsV1Alpha2API,
    spec: Mapping,
    image: str,
    environment: Mapping[str, str],
    secret_ids: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create or update each tier's job definition on `image`, with its secret references;
    returns tier -> definition id."""
    region = spec.get("region")
    existing: dict[str, JobDefinition] = {
        d.name: d for d in api.list_job_definitions_all(region=region)
    }
    ids: dict[str, str] = {}
    for tier, shape in spec["tiers"].items():
        fields = {
            "cpu_limit": int(shape["cpu_limit"]),
            "memory_limit": int(shape["memory_limit"]),
            "local_storage_capacity": int(shape["local_storage_capacity"]),
            "image_uri": image,
            "startup_command": list(spec["startup_command"]),
            "environment_variables": dict(environment),
            "description": shape.get("description", ""),
            "job_timeout": shape.get("job_timeout"),
        }
        current = existing.get(shape["name"])
        if current is None:
            definition = api.create_job_definition(region=region, name=shape["name"], **fields)
        else:
            definition = api.update_job_definition(
                job_definition_id=current.id, region=region, **fields
            )
        apply_secret_references(api, definition.id, secret_ids or {}, region)
        ids[tier] = definition.id
    return ids


def update_containers(
    api: ContainerV1Beta1API,
    image: str,
    webserver_id: str,
    daemon_id: str,
    environment: Mapping[str, str],
    region: str | None = None,
) -> None:
    """Move both containers to `image`, adding `environment` (job definition ids) to theirs."""
    check_plain_names(environment, "container environment")
    for container_id, is_daemon in ((webserver_id, False), (daemon_id, True)):
        current = api.get_container(container_id=container_id, region=region)
        options: dict = {
            "registry_image": image,
            "environment_variables": {**(current.environment_variables or {}), **environment},
            "max_scale": 1,
        }
        if is_daemon:
            # Schedules and the run queue need the daemon up at all times.
            options.update(min_scale=1, command=DAEMON_COMMAND)
        api.update_container(container_id=container_id, region=region, **options)


def webserver_min_scale(now: datetime) -> int:
    """1 (kept warm) during French working hours, 0 (scaled to zero when idle) otherwise.

    Opening at 06:45 lets the run scheduled a little before 07:00 warm the webserver in time.
    """
    local = now.astimezone(PARIS)
    open_now = local.weekday() in WORKING_DAYS and OPENING <= local.time() < CLOSING
    return 1 if open_now else 0


def set_webserver_hours(
    api: ContainerV1Beta1API, webserver_id: str, now: datetime, region: str | None = None
) -> int:
    """Apply the working-hours scale to the webserver; returns the minimum scale now in force."""
    wanted = webserver_min_scale(now)
    current = api.get_container(container_id=webserver_id, region=region)
    if current.min_scale != wanted:
        api.update_container(container_id=webserver_id, region=region, min_scale=wanted)
    return wanted


def _pairs(values: Sequence[str]) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, content = value.partition("=")
        if not sep or not name:
            raise DeployError(f"expected NAME=VALUE, got {value!r}")
        pairs[name] = content
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    jobs = commands.add_parser("jobs", help="create or update the job definitions")
    jobs.add_argument("--image", required=True)
    jobs.add_argument("--spec", type=Path, default=SPEC)
    containers = commands.add_parser("containers", help="deploy the webserver and daemon")
    containers.add_argument("--image", required=True)
    containers.add_argument("--webserver", required=True, help="webserver container id")
    containers.add_argument("--daemon", required=True, help="daemon container id")
    containers.add_argument("environment", nargs="*", help="NAME=VALUE to add to both")
    hours = commands.add_parser("webserver-hours", help="scale the webserver for the time")
    hours.add_argument("--webserver", required=True, help="webserver container id")
    hours.add_argument("--at", type=datetime.fromisoformat, help="time to decide for (default now)")
    args = parser.parse_args(argv)

    client = Client.from_config_file_and_env()
    try:
        if args.command == "jobs":
            spec = json.loads(args.spec.read_text())
            environment = job_environment(spec, os.environ)
            secret_ids = ensure_secrets(
                SecretV1Beta1API(client),
                spec.get("secrets", {}),
                os.environ,
                region=spec.get("region"),
                project_id=client.default_project_id,
            )
            ids = apply_job_definitions(
                JobsV1Alpha2API(client), spec, args.image, environment, secret_ids
            )
            for tier, definition_id in ids.items():
                print(f"{definition_variable(tier)}={definition_id}")
        elif args.command == "containers":
            update_containers(
                ContainerV1Beta1API(client),
                args.image,
                args.webserver,
                args.daemon,
                _pairs(args.environment),
            )
        else:
            now = args.at or datetime.now(PARIS)
            if now.tzinfo is None:
                now = now.replace(tzinfo=PARIS)
            scale = set_webserver_hours(ContainerV1Beta1API(client), args.webserver, now)
            print(f"webserver min_scale={scale} at {now.astimezone(PARIS).isoformat()}")
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
