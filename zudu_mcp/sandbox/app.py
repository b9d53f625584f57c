"""The sandbox: Zudu's documented rules, answered with Zudu's own envelope, state in memory.

It checks requests on its own (it does not reuse our wire models), so a mistake in those
models shows up as a sandbox refusal in tests instead of being mirrored and hidden.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SANDBOX_API_KEY = "sk_sandbox0000000000000000000000000000"
SANDBOX_API_SECRET = "s3cr3t_sandbox00000000000000000000000000000000"
ORGANIZATION_ID = "org_sandbox"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
AGENT_ID = re.compile(r"^agent_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class SandboxState:
    """Everything the emulator knows; `clock` returns Unix ms so tests can move time."""

    clock: Callable[[], int] = wall_clock_ms
    seed: int = 7
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.UUID(int=self._random.getrandbits(128)).hex}"


class Refusal(Exception):
    def __init__(self, status: int, message: str, error: str):
        self.status, self.message, self.error = status, message, error


def envelope_error(status: int, message: str, error: str) -> JSONResponse:
    return JSONResponse({"message": message, "status": "error", "error": error, "data": None}, status_code=status)


def invalid(error: str) -> Refusal:
    return Refusal(400, "Validation error", error)


def validate_create(body: Any, now_ms: int) -> None:
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    for key in ("from_number", "tasks", "name", "agent_id"):
        if key not in body:
            raise invalid(f"{key} is required")
    if not isinstance(body["from_number"], str) or not E164.match(body["from_number"]):
        raise invalid("from_number must be in E.164 format")
    name = body["name"]
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise invalid("name must be a string of 1 to 255 characters")
    if not isinstance(body["agent_id"], str) or not AGENT_ID.match(body["agent_id"]):
        raise invalid("agent_id must be in agent_[uuid] format")
    tasks = body["tasks"]
    if not isinstance(tasks, list) or not 1 <= len(tasks) <= 1000:
        raise invalid("tasks must contain between 1 and 1000 elements")
    for index, task in enumerate(tasks):
        if not isinstance(task, dict) or not isinstance(task.get("to_number"), str) or not E164.match(task["to_number"]):
            raise invalid(f"tasks[{index}].to_number must be in E.164 format")
        variables = task.get("dynamic_variables")
        if variables is not None:
            if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
                raise invalid(f"tasks[{index}].dynamic_variables must be an object of strings")
            if len(json.dumps(variables, ensure_ascii=False).encode()) > 5 * 1024:
                raise invalid(f"tasks[{index}].dynamic_variables exceeds 5KB")
        if task.get("to_number") == body["from_number"]:
            raise invalid("from_number cannot be one of the to_number values")
    status = body.get("status")
    if status is not None and status not in ("draft", "scheduled", "sent"):
        raise invalid("status must be one of draft, scheduled, sent")
    send_now = body.get("send_now", False)
    if not isinstance(send_now, bool):
        raise invalid("send_now must be a boolean")
    trigger = body.get("trigger_timestamp")
    if trigger is not None:
        if not isinstance(trigger, int) or isinstance(trigger, bool):
            raise invalid("trigger_timestamp must be an integer (Unix milliseconds)")
        if trigger <= now_ms:
            raise invalid("trigger_timestamp must be in the future")
    elif not send_now and status not in ("draft", "sent"):
        raise invalid("trigger_timestamp is required when send_now is false")
    if "timezone" in body and not valid_zone(body["timezone"]):
        raise invalid("timezone must be a valid IANA timezone")
    validate_options(body)


def validate_options(body: dict[str, Any]) -> None:
    quiet = body.get("quiet_hours")
    if quiet is not None:
        if not isinstance(quiet, dict):
            raise invalid("quiet_hours must be an object")
        for key in ("start_time", "end_time"):
            if not isinstance(quiet.get(key), str) or not HHMM.match(quiet[key]):
                raise invalid(f"quiet_hours.{key} must be HH:MM")
        if "timezone" in quiet and not valid_zone(quiet["timezone"]):
            raise invalid("quiet_hours.timezone must be a valid IANA timezone")
    retry = body.get("retry_config")
    if retry is not None and (not isinstance(retry, dict) or not isinstance(retry.get("max_attempts", 1), int)):
        raise invalid("retry_config.max_attempts must be an integer")
    for index, rule in enumerate(body.get("retry_rules") or []):
        if not isinstance(rule, dict) or rule.get("condition") not in ("no_answer", "busy", "voicemail"):
            raise invalid(f"retry_rules[{index}].condition must be one of no_answer, busy, voicemail")
        timing = rule.get("retry_timing")
        if not isinstance(timing, dict) or timing.get("type") not in ("AT", "AFTER"):
            raise invalid(f"retry_rules[{index}].retry_timing.type must be AT or AFTER")
        if timing["type"] == "AT" and not (isinstance(timing.get("time"), str) and HHMM.match(timing["time"])):
            raise invalid(f"retry_rules[{index}].retry_timing.time must be HH:MM")
        if timing["type"] == "AFTER" and not isinstance(timing.get("duration_minutes"), int):
            raise invalid(f"retry_rules[{index}].retry_timing.duration_minutes must be an integer")


def valid_zone(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


def create_app(state: SandboxState | None = None, *, credentials: tuple[str, str] | None = None) -> Starlette:
    """`credentials` pins the accepted key/secret pair; without it any non-empty pair is accepted."""
    state = state or SandboxState()

    def authenticate(request: Request) -> None:
        key, secret = request.headers.get("x-api-key", ""), request.headers.get("x-api-secret", "")
        if not key or not secret:
            raise Refusal(401, "Unauthorized", "Missing X-API-KEY or X-API-SECRET header")
        if credentials is not None and (key, secret) != credentials:
            raise Refusal(401, "Unauthorized", "Invalid API key or secret")

    async def read_json(request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise invalid("Request body must be valid JSON") from None

    def batch_or_404(batch_call_id: str) -> dict[str, Any]:
        batch = state.batches.get(batch_call_id)
        if batch is None:
            raise Refusal(404, "Not found", f"Batch call {batch_call_id} not found")
        return batch

    async def create_batch(request: Request) -> JSONResponse:
        body = await read_json(request)
        now = state.clock()
        validate_create(body, now)
        batch_id = state.new_id("batch_call")
        status = body.get("status") or ("sent" if body.get("send_now") else "scheduled")
        tasks = body["tasks"]
        batch = {
            "batch_call_id": batch_id,
            "name": body["name"],
            "from_number": body["from_number"],
            "scheduled_timestamp": body.get("trigger_timestamp") or now,
            "total_task_count": len(tasks),
            "agent_id": body["agent_id"],
            "organization_id": body.get("organization_id") or ORGANIZATION_ID,
            "status": status,
            "error": None,
            "total": len(tasks),
            "sent": 0,
            "picked_up": 0,
            "completed": 0,
            "timezone": body.get("timezone") or "UTC",
            "last_sent_timestamp": None,
            "tasks_url": f"sandbox://batch-calls/{batch_id}/tasks.json",
            "created_timestamp": now,
            "access_info": {"creator_image_url": None, "creator_name": "Sandbox"},
            "is_paused": False,
            "paused_at": None,
        }
        state.batches[batch_id] = batch
        return JSONResponse(batch)  # the create page shows the batch bare, not enveloped

    async def get_batch(request: Request) -> JSONResponse:
        batch = batch_or_404(request.path_params["batch_call_id"])
        return JSONResponse({"message": "Batch call retrieved", "status": "success", "error": None, "data": batch})

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            state.requests.append({"method": request.method, "path": request.url.path})
            try:
                authenticate(request)
                return await handler(request)
            except Refusal as refusal:
                return envelope_error(refusal.status, refusal.message, refusal.error)

        return endpoint

    app = Starlette(
        routes=[
            Route("/batch-call", guarded(create_batch), methods=["POST"]),
            Route("/batch-call/{batch_call_id}", guarded(get_batch), methods=["GET"]),
        ]
    )
    app.state.sandbox = state
    return app
