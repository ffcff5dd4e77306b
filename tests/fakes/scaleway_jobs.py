"""A loopback fake of the Scaleway Serverless Jobs API v1alpha2, spoken to by the real SDK.

Point a `scaleway.Client(api_url=fake.url)` at it. It keeps job definitions and job runs in memory,
pages lists like the real API, checks the `X-Auth-Token` header and the region in the path, and
answers errors with Scaleway's JSON error bodies. Tests can inject faults (an HTTP status, a
gateway's HTML error page, a dropped connection, a request that hangs), before or after the request
takes effect: a `hang` before a start is a job run created only after the client stopped waiting. A
definition can be marked as never starting (its runs stay queued), and a job run can be timed out.

It also serves the job definitions' secret references (`/secrets`) and a small Secret Manager
(`/secret-manager/v1beta1`: secrets, versions, access): a job run's container gets the latest
version of each referenced secret as an environment variable, or fails with `secret_not_found`.

In executing mode a started job run really runs: its startup command and arguments as a local
subprocess, with the definition's and the run's environment variables on top of `base_env`, and its
state follows the process (queued → running → succeeded, or failed with the exit code and the end of
stderr; stop sends SIGTERM, then SIGKILL after a grace period, and ends `interrupted`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCESS_KEY = "SCWFAKEFAKEFAKEFAKE0"
SECRET_KEY = "11111111-2222-4333-8444-555555555555"
PROJECT_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

ACTIVE_STATES = frozenset(
    {"initialized", "validated", "queued", "running", "interrupting", "retrying"}
)
PREFIX = "/serverless-jobs/v1alpha2/regions/"
SECRET_PREFIX = "/secret-manager/v1beta1/regions/"
HTML_ERROR = "<html><head><title>{status} Bad Gateway</title></head><body>gateway</body></html>"


@dataclass
class Fault:
    """One injected failure: applies to the next `times` requests matching method and path."""

    method: str
    path_pattern: str
    kind: str = "status"  # "status", "html" (an HTML error page), "disconnect" or "hang"
    status: int = 500
    after: bool = False  # let the request take effect first, then fail the response
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and re.search(self.path_pattern, path) is not None


@dataclass
class JobRunRecord:
    data: dict[str, Any]
    process: subprocess.Popen[bytes] | None = None
    stop_requested: bool = False
    killed_with: dict[str, Any] | None = None
    finished: threading.Event = field(default_factory=threading.Event)


class ApiError(Exception):
    def __init__(self, status: int, message: str, error_type: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "type": error_type, **extra}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeScalewayJobs:
    """The fake API server and its state; use as a context manager."""

    def __init__(
        self,
        *,
        region: str = "fr-par",
        executing: bool = False,
        base_env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        default_page_size: int = 20,
        stop_grace_seconds: float = 10.0,
        hang_seconds: float = 3.0,
    ):
        self.region = region
        self.executing = executing
        self.base_env = dict(base_env if base_env is not None else os.environ)
        self.cwd = cwd
        self.default_page_size = default_page_size
        self.stop_grace_seconds = stop_grace_seconds
        self.hang_seconds = hang_seconds
        self.definitions: dict[str, dict[str, Any]] = {}
        self.secret_refs: dict[str, dict[str, Any]] = {}
        self.managed_secrets: dict[str, dict[str, Any]] = {}
        self.secret_versions: dict[str, list[str]] = {}
        self.never_start: set[str] = set()
        self.runs: dict[str, JobRunRecord] = {}
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._order = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeScalewayJobs:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            records = list(self.runs.values())
        for record in records:
            if record.process is not None and record.process.poll() is None:
                _signal_group(record.process, signal.SIGKILL)
        for record in records:
            if record.process is not None:
                record.finished.wait(10)
        self._server.shutdown()
        self._server.server_close()

    # -- test controls --------------------------------------------------------------------

    def add_job_definition(
        self,
        name: str,
        *,
        cpu_limit: int = 1000,
        memory_limit: int = 2048,
        image_uri: str = "rg.fr-par.scw.cloud/observatoire/code:test",
        environment_variables: Mapping[str, str] | None = None,
        startup_command: list[str] | None = None,
        args: list[str] | None = None,
        never_start: bool = False,
        region: str | None = None,
    ) -> str:
        """Register a job definition and return its id."""
        definition = self._new_definition(
            {
                "name": name,
                "cpu_limit": cpu_limit,
                "memory_limit": memory_limit,
                "image_uri": image_uri,
                "environment_variables": dict(environment_variables or {}),
                "startup_command": list(startup_command or []),
                "args": list(args or []),
            },
            region or self.region,
        )
        if never_start:
            self.never_start.add(definition["id"])
        return definition["id"]

    def inject(
        self,
        method: str,
        path_pattern: str,
        *,
        kind: str = "status",
        status: int = 500,
        after: bool = False,
        times: int = 1,
    ) -> None:
        """Make the next `times` matching requests fail (see `Fault`)."""
        with self._lock:
            self.faults.append(Fault(method, path_pattern, kind, status, after, times))

    def set_state(self, job_run_id: str, state: str, **fields: Any) -> None:
        """Move a job run to `state`, e.g. `failed` with reason, exit_code and error_message."""
        with self._lock:
            data = self.runs[job_run_id].data
            data.update(state=state, updated_at=_now(), **fields)
            if state not in ACTIVE_STATES:
                data.setdefault("terminated_at", _now())

    def kill(
        self,
        job_run_id: str,
        *,
        reason: str = "memory_usage_exceeded",
        exit_code: int = 137,
        error_message: str = "the job exceeded its memory limit",
    ) -> None:
        """Kill a running job's process as the platform does (e.g. out of memory)."""
        with self._lock:
            record = self.runs[job_run_id]
            record.killed_with = {
                "reason": reason,
                "exit_code": exit_code,
                "error_message": error_message,
            }
            process = record.process
        if process is None:
            raise ValueError(f"job run {job_run_id} has no running process")
        _signal_group(process, signal.SIGKILL)

    def expire(self, job_run_id: str) -> None:
        """End a job run as its definition's job_timeout does: failed, reason `timeout`."""
        with self._lock:
            record = self.runs[job_run_id]
            record.killed_with = {
                "reason": "timeout",
                "exit_code": 137,
                "error_message": "the job exceeded its timeout",
            }
            process = record.process
            if process is None:
                record.data.update(state="failed", updated_at=_now(), terminated_at=_now())
                record.data.update(record.killed_with)
                record.finished.set()
                return
        _signal_group(process, signal.SIGKILL)

    def add_secret(self, name: str, value: str, *, region: str | None = None) -> str:
        """Create a Secret Manager secret with one version; returns its id."""
        secret = self._new_secret({"name": name}, region or self.region)
        self.secret_versions[secret["id"]].append(value)
        return secret["id"]

    def definition_secrets(self, definition_id: str) -> dict[str, str]:
        """Environment variable name -> Secret Manager secret id referenced by a definition."""
        with self._lock:
            return {
                ref["env_var"]["name"]: ref["secret_manager_id"]
                for ref in self.secret_refs.values()
                if ref["job_definition_id"] == definition_id and ref.get("env_var")
            }

    def job_run(self, job_run_id: str) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self.runs[job_run_id].data))

    def job_runs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(json.dumps(r.data)) for r in self.runs.values()]

    def count(self, method: str, path_pattern: str) -> int:
        """How many requests with this method and a path matching the pattern were received."""
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and re.search(path_pattern, p))

    def wait_for(self, job_run_id: str, states: set[str], timeout: float = 60.0) -> dict:
        """Block until the job run reaches one of `states`; returns the job run."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.job_run(job_run_id)
            if data["state"] in states:
                return data
            time.sleep(0.05)
        raise TimeoutError(f"job run {job_run_id} still {self.job_run(job_run_id)['state']}")

    # -- API ------------------------------------------------------------------------------

    def _new_definition(self, body: Mapping[str, Any], region: str) -> dict[str, Any]:
        now = _now()
        definition = {
            "id": str(uuid.uuid4()),
            "name": body.get("name") or f"job-{uuid.uuid4().hex[:8]}",
            "project_id": body.get("project_id") or PROJECT_ID,
            "cpu_limit": int(body.get("cpu_limit") or 1000),
            "memory_limit": int(body.get("memory_limit") or 2048),
            "local_storage_capacity": int(body.get("local_storage_capacity") or 1000),
            "image_uri": body.get("image_uri") or "",
            "environment_variables": dict(body.get("environment_variables") or {}),
            "description": body.get("description") or "",
            "startup_command": list(body.get("startup_command") or []),
            "args": list(body.get("args") or []),
            "job_timeout": body.get("job_timeout") or "3600s",
            "region": region,
            "created_at": now,
            "updated_at": now,
        }
        with self._lock:
            self.definitions[definition["id"]] = definition
        return definition

    def _definition(self, region: str, definition_id: str) -> dict[str, Any]:
        definition = self.definitions.get(definition_id)
        if definition is None or definition["region"] != region:
            raise ApiError(
                404,
                "resource is not found",
                "not_found",
                resource="job_definition",
                resource_id=definition_id,
            )
        return definition

    def _record(self, region: str, job_run_id: str) -> JobRunRecord:
        record = self.runs.get(job_run_id)
        if record is None or record.data["region"] != region:
            raise ApiError(
                404,
                "resource is not found",
                "not_found",
                resource="job_run",
                resource_id=job_run_id,
            )
        return record

    def _page(self, items: list[dict], query: Mapping[str, list[str]], key: str) -> dict:
        page = int(query.get("page", ["1"])[0])
        page_size = int(query.get("page_size", [str(self.default_page_size)])[0])
        if page < 1 or not 1 <= page_size <= 100:
            raise ApiError(400, "invalid argument(s)", "invalid_arguments")
        chunk = items[(page - 1) * page_size : page * page_size]
        return {key: chunk, "total_count": len(items)}

    def _new_secret(self, body: Mapping[str, Any], region: str) -> dict[str, Any]:
        now = _now()
        secret = {
            "id": str(uuid.uuid4()),
            "project_id": body.get("project_id") or PROJECT_ID,
            "name": body["name"],
            "status": "ready",
            "created_at": now,
            "updated_at": now,
            "tags": [],
            "version_count": 0,
            "description": body.get("description") or "",
            "managed": False,
            "protected": bool(body.get("protected")),
            "type": "opaque",
            "path": "/",
            "used_by": [],
            "region": region,
        }
        with self._lock:
            self.managed_secrets[secret["id"]] = secret
            self.secret_versions[secret["id"]] = []
        return secret

    def _secret_manager(
        self, method: str, path: str, query: Mapping[str, list[str]], body: dict
    ) -> dict:
        region, _, rest = path[len(SECRET_PREFIX) :].partition("/")
        parts = rest.split("/")
        if parts == ["secrets"] and method == "GET":
            items = [s for s in self.managed_secrets.values() if s["region"] == region]
            if query.get("name"):
                items = [s for s in items if s["name"] == query["name"][0]]
            return self._page(items, query, "secrets")
        if parts == ["secrets"] and method == "POST":
            if any(s["name"] == body.get("name") for s in self.managed_secrets.values()):
                raise ApiError(409, "secret already exists", "conflict")
            return self._new_secret(body, region)
        if len(parts) >= 2 and parts[0] == "secrets":
            secret = self.managed_secrets.get(parts[1])
            if secret is None or secret["region"] != region:
                raise ApiError(404, "resource is not found", "not_found", resource="secret")
            versions = self.secret_versions[secret["id"]]
            if parts[2:] == ["versions"] and method == "POST":
                versions.append(base64.b64decode(body["data"]).decode("utf-8"))
                secret["version_count"] = len(versions)
                return self._version(secret, len(versions))
            if len(parts) == 5 and parts[2] == "versions" and parts[4] == "access":
                if not versions:
                    raise ApiError(404, "resource is not found", "not_found", resource="version")
                revision = len(versions) if parts[3].startswith("latest") else int(parts[3])
                return {
                    "secret_id": secret["id"],
                    "revision": revision,
                    "data": base64.b64encode(versions[revision - 1].encode()).decode(),
                    "type": "opaque",
                }
        raise ApiError(404, "not found", "not_found")

    def _version(self, secret: Mapping[str, Any], revision: int) -> dict:
        return {
            "revision": revision,
            "secret_id": secret["id"],
            "status": "enabled",
            "created_at": _now(),
            "updated_at": _now(),
            "description": "",
            "latest": True,
            "region": secret["region"],
        }

    def _secret_refs(self, method: str, parts: list[str], query: Mapping, body: dict) -> dict:
        if parts == ["secrets"] and method == "POST":
            return {"secrets": self._new_secret_refs(body)}
        if parts == ["secrets"] and method == "GET":
            wanted = query.get("job_definition_id", [None])[0]
            items = [r for r in self.secret_refs.values() if r["job_definition_id"] == wanted]
            return {"secrets": items, "total_count": len(items)}
        if len(parts) == 2 and parts[0] == "secrets":
            return self._secret_ref(method, parts[1], body)
        raise ApiError(404, "not found", "not_found")

    def _new_secret_refs(self, body: dict) -> list[dict[str, Any]]:
        definition_id = body["job_definition_id"]
        if definition_id not in self.definitions:
            raise ApiError(404, "resource is not found", "not_found")
        created = []
        for config in body.get("secrets") or []:
            ref = {
                "secret_id": str(uuid.uuid4()),
                "job_definition_id": definition_id,
                "secret_manager_id": config["secret_manager_id"],
                "secret_manager_version": config["secret_manager_version"],
            }
            if config.get("env_var_name"):
                ref["env_var"] = {"name": config["env_var_name"]}
            else:
                ref["file"] = {"path": config.get("path")}
            self.secret_refs[ref["secret_id"]] = ref
            created.append(ref)
        return created

    def _secret_ref(self, method: str, secret_id: str, body: dict) -> dict:
        ref = self.secret_refs.get(secret_id)
        if ref is None:
            raise ApiError(404, "resource is not found", "not_found")
        if method == "GET":
            return ref
        if method == "PATCH":
            if body.get("secret_manager_version"):
                ref["secret_manager_version"] = body["secret_manager_version"]
            if body.get("env_var_name"):
                ref["env_var"] = {"name": body["env_var_name"]}
            return ref
        if method == "DELETE":
            del self.secret_refs[secret_id]
            return {}
        raise ApiError(404, "not found", "not_found")

    def _secret_environment(self, definition_id: str) -> dict[str, str] | str:
        """A definition's secret references resolved, or the message of a missing secret."""
        environment = {}
        for name, secret_id in self.definition_secrets(definition_id).items():
            versions = self.secret_versions.get(secret_id)
            if not versions:
                return f"secret {secret_id} referenced as {name} not found"
            environment[name] = versions[-1]
        return environment

    def _dispatch(self, method: str, path: str, query: Mapping[str, list[str]], body: dict) -> dict:
        if path.startswith(SECRET_PREFIX):
            with self._lock:
                return self._secret_manager(method, path, query, body)
        if not path.startswith(PREFIX):
            raise ApiError(404, "not found", "not_found")
        region, _, rest = path[len(PREFIX) :].partition("/")
        parts = rest.split("/")
        with self._lock:
            if parts[0] == "secrets":
                return self._secret_refs(method, parts, query, body)
            if parts[0] == "job-definitions":
                return self._job_definitions(method, region, parts, query, body)
            if parts[0] == "job-runs":
                return self._job_runs(method, region, parts, query)
        raise ApiError(404, "not found", "not_found")

    def _job_definitions(
        self, method: str, region: str, parts: list[str], query: Mapping[str, list[str]], body: dict
    ) -> dict:
        if parts == ["job-definitions"] and method == "GET":
            items = sorted(self.definitions.values(), key=lambda d: d["created_at"])
            items = [d for d in items if d["region"] == region]
            if query.get("project_id"):
                items = [d for d in items if d["project_id"] == query["project_id"][0]]
            if query.get("order_by", ["created_at_asc"])[0] == "created_at_desc":
                items.reverse()
            return self._page(items, query, "job_definitions")
        if parts == ["job-definitions"] and method == "POST":
            return self._new_definition(body, region)
        if len(parts) == 2 and method == "GET":
            return self._definition(region, parts[1])
        if len(parts) == 2 and method == "PATCH":
            definition = self._definition(region, parts[1])
            for name, value in body.items():
                if name in definition and value is not None and name != "id":
                    definition[name] = value
            definition["updated_at"] = _now()
            return definition
        if method == "POST" and len(parts) == 3 and parts[2] == "start":
            return self._start(self._definition(region, parts[1]), body)
        raise ApiError(404, "not found", "not_found")

    def _job_runs(
        self, method: str, region: str, parts: list[str], query: Mapping[str, list[str]]
    ) -> dict:
        if parts == ["job-runs"] and method == "GET":
            return self._list_runs(region, query)
        if len(parts) == 2 and method == "GET":
            return self._record(region, parts[1]).data
        if method == "POST" and len(parts) == 3 and parts[2] == "stop":
            return self._stop(self._record(region, parts[1]))
        raise ApiError(404, "not found", "not_found")

    def _list_runs(self, region: str, query: Mapping[str, list[str]]) -> dict:
        records = [r for r in self.runs.values() if r.data["region"] == region]
        items = [r.data for r in sorted(records, key=lambda r: r.data["_order"])]
        if query.get("job_definition_id"):
            items = [d for d in items if d["job_definition_id"] == query["job_definition_id"][0]]
        states = set(query.get("states", [])) | set(query.get("state", []))
        if states:
            items = [d for d in items if d["state"] in states]
        if query.get("order_by", ["created_at_asc"])[0] == "created_at_desc":
            items.reverse()
        return self._page(items, query, "job_runs")

    def _start(self, definition: dict[str, Any], body: Mapping[str, Any]) -> dict:
        replicas = int(body.get("replicas") or 1)
        if replicas < 1:
            raise ApiError(400, "invalid argument(s)", "invalid_arguments")
        started = []
        for _ in range(replicas):
            self._order += 1
            now = _now()
            data = {
                "id": str(uuid.uuid4()),
                "job_definition_id": definition["id"],
                "state": "queued",
                "cpu_limit": definition["cpu_limit"],
                "memory_limit": definition["memory_limit"],
                "local_storage_capacity": definition["local_storage_capacity"],
                "environment_variables": {
                    **definition["environment_variables"],
                    **(body.get("environment_variables") or {}),
                },
                "startup_command": list(
                    body.get("startup_command") or definition["startup_command"]
                ),
                "args": list(body.get("args") or definition["args"]),
                "region": definition["region"],
                "created_at": now,
                "updated_at": now,
                "started_at": None,
                "terminated_at": None,
                "reason": "unknown_reason",
                "exit_code": 0,
                "error_message": None,
                "attempts": 1,
                "_order": self._order,
            }
            record = JobRunRecord(data)
            self.runs[data["id"]] = record
            if self.executing and definition["id"] not in self.never_start:
                threading.Thread(target=self._execute, args=(record,), daemon=True).start()
            started.append(data)
        return {"job_runs": started}

    def _stop(self, record: JobRunRecord) -> dict:
        state = record.data["state"]
        if state not in ACTIVE_STATES:
            raise ApiError(
                412,
                f"job run is already {state}",
                "precondition_failed",
                precondition="not_running",
            )
        record.stop_requested = True
        if record.process is not None and record.process.poll() is None:
            record.data.update(state="interrupting", updated_at=_now())
            record.process.send_signal(signal.SIGTERM)
            threading.Thread(target=self._kill_after_grace, args=(record,), daemon=True).start()
        elif state != "interrupting":
            record.data.update(
                state="interrupted",
                reason="cancellation",
                updated_at=_now(),
                terminated_at=_now(),
            )
            record.finished.set()
        return record.data

    # -- executing mode -------------------------------------------------------------------

    def _execute(self, record: JobRunRecord) -> None:
        with self._lock:
            if record.stop_requested:
                return
            data = record.data
            command = [*data["startup_command"], *data["args"]]
            secrets = self._secret_environment(data["job_definition_id"])
            if isinstance(secrets, str):
                data.update(
                    state="failed",
                    reason="secret_not_found",
                    exit_code=0,
                    error_message=secrets,
                    updated_at=_now(),
                    terminated_at=_now(),
                )
                record.finished.set()
                return
            env = {**self.base_env, **secrets, **data["environment_variables"]}
            try:
                record.process = subprocess.Popen(
                    command,
                    env=env,
                    cwd=self.cwd,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            except OSError as error:
                data.update(
                    state="failed",
                    reason="invalid_image",
                    exit_code=127,
                    error_message=str(error),
                    terminated_at=_now(),
                )
                record.finished.set()
                return
            data.update(state="running", started_at=_now(), updated_at=_now())
        _, stderr = record.process.communicate()
        code = record.process.returncode
        with self._lock:
            if record.killed_with is not None:
                data.update(state="failed", **record.killed_with)
            elif record.stop_requested:
                data.update(state="interrupted", reason="cancellation", exit_code=code)
            elif code == 0:
                data.update(state="succeeded", exit_code=0)
            else:
                data.update(
                    state="failed",
                    reason="exited_with_error",
                    exit_code=code,
                    error_message=_tail(stderr),
                )
            data.update(updated_at=_now(), terminated_at=_now())
            record.finished.set()

    def _kill_after_grace(self, record: JobRunRecord) -> None:
        if not record.finished.wait(self.stop_grace_seconds) and record.process is not None:
            _signal_group(record.process, signal.SIGKILL)

    # -- HTTP -----------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"fake": self})


def _public(payload: Any) -> Any:
    """The payload without the fake's private bookkeeping keys."""
    if isinstance(payload, dict):
        return {k: _public(v) for k, v in payload.items() if not k.startswith("_")}
    if isinstance(payload, list):
        return [_public(v) for v in payload]
    return payload


def _tail(stderr: bytes, limit: int = 2000) -> str:
    text = stderr.decode("utf-8", errors="replace").strip()
    return text[-limit:]


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


class _Handler(BaseHTTPRequestHandler):
    """One request to the fake: recorded, faults applied, then dispatched to its state."""

    fake: FakeScalewayJobs

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with self.fake._lock:
            self.fake.requests.append((method, split.path))
        fault = self.fake._take_fault(method, split.path)
        if fault is not None and not fault.after and self._apply(fault):
            return
        try:
            if self.headers.get("X-Auth-Token") != SECRET_KEY:
                raise ApiError(401, "authentication is denied", "denied_authentication")
            body = json.loads(raw) if raw else {}
            payload = self.fake._dispatch(method, split.path, parse_qs(split.query), body)
            status, answer = 200, _public(payload)
        except ApiError as error:
            status, answer = error.status, error.body
        if fault is not None and fault.after and self._apply(fault):
            return
        self._send(status, answer)

    def _apply(self, fault: Fault) -> bool:
        """Carry out a fault; True when no normal response must follow."""
        if fault.kind == "disconnect":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.kind == "hang":
            time.sleep(self.fake.hang_seconds)
            return False
        if fault.kind == "html":
            page = HTML_ERROR.format(status=fault.status).encode("utf-8")
            self.send_response(fault.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return True
        self._send(
            fault.status,
            {"message": f"injected error {fault.status}", "type": "injected"},
        )
        return True

    def _send(self, status: int, payload: Any) -> None:
        encoded = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")
