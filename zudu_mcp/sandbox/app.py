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


DIAL_SPACING_MS = 2_000  # one new call every 2 s once a batch is sent
OUTCOMES = [  # (weight, task status, error_message)
    (65, "COMPLETED", None),
    (15, "FAILED", "Call not answered"),
    (10, "FAILED", "Line busy"),
    (6, "FAILED", "Reached voicemail"),
    (4, "FAILED", "Number unreachable"),
]

AGENTS = [
    {"agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e", "name": "Sales-Renewals", "language": "en-IN", "voice": "Aria"},
    {"agent_id": "agent_5d1f7e44-2b8a-4c1e-9a6f-0c3b8e2d7a19", "name": "Delivery-Confirmation", "language": "hi-IN", "voice": "Kabir"},
    {"agent_id": "agent_c0ffee00-1234-4abc-8def-0123456789ab", "name": "US-Appointments", "language": "en-US", "voice": "Sam"},
]
PHONE_NUMBERS = [
    {"phone_number": "+918035315547", "nickname": "Bangalore main", "inbound_agent_id": None,
     "outbound_agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e"},
    {"phone_number": "+14155550123", "nickname": "US outbound", "inbound_agent_id": None,
     "outbound_agent_id": "agent_c0ffee00-1234-4abc-8def-0123456789ab"},
]
AVAILABLE_NUMBERS = [
    {"phone_number": "+918035315600", "country": "IN"},
    {"phone_number": "+14155550199", "country": "US"},
]


@dataclass
class SandboxState:
    """Everything the emulator knows; `clock` returns Unix ms so tests can move time."""

    clock: Callable[[], int] = wall_clock_ms
    seed: int = 7
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    plans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per batch: each task's fate
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.UUID(int=self._random.getrandbits(128)).hex}"

    def plan(self, batch_id: str, tasks: list[dict[str, Any]], now: int) -> None:
        """Each task's outcome and call length, fixed at creation from the seed: runs are repeatable."""
        fate = random.Random(f"{self.seed}:{batch_id}")
        weights = [weight for weight, _, _ in OUTCOMES]
        self.plans[batch_id] = [
            {
                "task_id": f"task_{index:04d}_{batch_id[-8:]}",
                "to_number": task["to_number"],
                "outcome": fate.choices(OUTCOMES, weights)[0],
                "duration_ms": fate.randint(20, 120) * 1000,
                "created_at": now,
            }
            for index, task in enumerate(tasks)
        ]

    def tasks(self, batch_id: str) -> list[dict[str, Any]]:
        """Tasks as of now: PENDING until dialed, CALLING during the call, then COMPLETED or FAILED."""
        batch = self.batches[batch_id]
        started, now = batch.get("started_at"), self.clock()
        shown = []
        for index, planned in enumerate(self.plans[batch_id]):
            status, error, call_id = "PENDING", None, None
            if started is not None and now >= started + index * DIAL_SPACING_MS:
                call_id = f"call_{planned['task_id'][5:]}"
                status = "CALLING"
                if now >= started + index * DIAL_SPACING_MS + planned["duration_ms"]:
                    _, status, error = planned["outcome"]
            shown.append({"task_id": planned["task_id"], "to_number": planned["to_number"], "status": status,
                          "call_id": call_id, "error_message": error, "created_at": planned["created_at"]})
        return shown

    def refresh(self, batch_id: str) -> dict[str, Any]:
        """Moves a batch along the sandbox clock: scheduled -> sent at its time, sent -> completed when done."""
        batch, now = self.batches[batch_id], self.clock()
        if batch["status"] == "scheduled" and now >= batch["scheduled_timestamp"]:
            self.start(batch_id, batch["scheduled_timestamp"])
        if batch["status"] == "sent":
            tasks = self.tasks(batch_id)
            dialed = [t for t in tasks if t["status"] != "PENDING"]
            batch["sent"] = len(dialed)
            batch["picked_up"] = sum(t["status"] == "COMPLETED" for t in tasks)
            batch["completed"] = sum(t["status"] in ("COMPLETED", "FAILED") for t in tasks)
            if dialed:
                batch["last_sent_timestamp"] = batch["started_at"] + (len(dialed) - 1) * DIAL_SPACING_MS
            if batch["completed"] == len(tasks):
                batch["status"] = "completed"
        return batch

    def start(self, batch_id: str, at: int) -> None:
        batch = self.batches[batch_id]
        batch["status"], batch["started_at"] = "sent", at

    def fail(self, batch_id: str, error: str) -> None:
        """For tests: Zudu marks a batch failed when it cannot run it at all."""
        self.batches[batch_id].update(status="failed", error=error)


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


def success(data: Any, message: str = "OK") -> JSONResponse:
    return JSONResponse({"message": message, "status": "success", "error": None, "data": data})


def public(batch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in batch.items() if key != "started_at"}


def query_int(request: Request, name: str, default: int | None, *, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise invalid(f"{name} must be a non-negative integer")
    value = int(raw)
    if maximum is not None and not 1 <= value <= maximum:
        raise invalid(f"{name} must be between 1 and {maximum}")
    return value


def paginate(items: list[Any], page: int, limit: int | None, key: str) -> dict[str, Any]:
    if limit is None:  # documented: omitting limit returns everything
        return {key: items, "pagination": {"page": 0, "limit": len(items), "total": len(items), "has_next_page": False}}
    chunk = items[page * limit : (page + 1) * limit]
    return {key: chunk, "pagination": {"page": page, "limit": limit, "total": len(items), "has_next_page": (page + 1) * limit < len(items)}}


SORT_FIELDS = {"created_at": "created_timestamp", "updated_at": "created_timestamp", "scheduled_timestamp": "scheduled_timestamp",
               "name": "name", "status": "status", "total_task_count": "total_task_count"}


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

    def batch_or_404(request: Request) -> dict[str, Any]:
        batch_call_id = request.path_params["batch_call_id"]
        if batch_call_id not in state.batches:
            raise Refusal(404, "Not found", f"Batch call {batch_call_id} not found")
        return state.refresh(batch_call_id)

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
        state.plan(batch_id, tasks, now)
        if status == "sent":
            state.start(batch_id, now)
        return JSONResponse(public(batch))  # the create page shows the batch bare, not enveloped

    async def get_batch(request: Request) -> JSONResponse:
        return success(public(batch_or_404(request)), "Batch call retrieved")

    def listed(status: list[str] | None, agent_id: list[str] | None, name: list[str] | None, sort_by: str | None, order: str | None):
        batches = [public(state.refresh(batch_id)) for batch_id in list(state.batches)]
        if status:
            batches = [b for b in batches if b["status"] in {s.lower() for s in status}]
        if agent_id:
            batches = [b for b in batches if b["agent_id"] in agent_id]
        if name:
            batches = [b for b in batches if any(n.lower() in b["name"].lower() for n in name)]
        if sort_by is not None and sort_by not in SORT_FIELDS:
            raise invalid(f"sort_by must be one of {', '.join(SORT_FIELDS)}")
        if order not in (None, "asc", "desc"):
            raise invalid("sort_order must be asc or desc")
        key = SORT_FIELDS[sort_by or "created_at"]
        return sorted(batches, key=lambda b: (b[key] is None, b[key]), reverse=(order or "desc") == "desc")

    async def list_batches(request: Request) -> JSONResponse:
        params = request.query_params
        limit = query_int(request, "limit", None, maximum=100)
        items = listed(None, None, None, params.get("sort_by"), params.get("sort_order"))
        return success(paginate(items, query_int(request, "page", 0) or 0, limit, "batch_calls"))

    async def filter_batches(request: Request) -> JSONResponse:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        criteria = body.get("filter_criteria") or {}
        pagination = body.get("pagination") or {}
        limit = pagination.get("limit", 20)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise invalid("pagination.limit must be between 1 and 100")
        items = listed(criteria.get("status"), criteria.get("agent_id"), criteria.get("name"), body.get("sort_by"), body.get("sort_order"))
        return success(paginate(items, int(pagination.get("page", 0)), limit, "batch_calls"))

    async def list_tasks(request: Request) -> JSONResponse:
        batch = batch_or_404(request)
        limit = query_int(request, "limit", 50, maximum=100)
        tasks = state.tasks(batch["batch_call_id"])
        return success(paginate(tasks, query_int(request, "page", 0) or 0, limit, "tasks"))

    async def execute(request: Request) -> JSONResponse:
        batch = batch_or_404(request)
        if batch["status"] not in ("draft", "scheduled"):
            raise invalid(f"Cannot execute batch call with status {batch['status'].upper()}")
        state.start(batch["batch_call_id"], state.clock())
        return success(public(state.refresh(batch["batch_call_id"])), "Batch call execution started")

    async def update(request: Request) -> JSONResponse:
        batch = batch_or_404(request)
        body = await read_json(request)
        if not isinstance(body, dict) or not body:
            raise invalid("Request body must be a JSON object with at least one field")
        unknown = set(body) - {"name", "status", "trigger_timestamp", "timezone"}
        if unknown:
            raise invalid(f"Unknown fields: {', '.join(sorted(unknown))}")
        if batch["status"] in ("completed", "failed"):
            raise invalid(f"Cannot update batch call with status {batch['status'].upper()}")
        status, trigger = body.get("status"), body.get("trigger_timestamp")
        if status is not None and status not in ("draft", "scheduled", "sent"):
            raise invalid("status must be one of draft, scheduled, sent")
        if batch["status"] == "sent" and status in ("draft", "scheduled"):
            raise invalid("Cannot change status of a batch call that has already been sent")
        if trigger is not None and (not isinstance(trigger, int) or trigger <= state.clock()):
            raise invalid("trigger_timestamp must be in the future")
        if "name" in body and not (isinstance(body["name"], str) and 1 <= len(body["name"]) <= 255):
            raise invalid("name must be a string of 1 to 255 characters")
        if "timezone" in body and not valid_zone(body["timezone"]):
            raise invalid("timezone must be a valid IANA timezone")
        for key in ("name", "timezone"):
            if key in body:
                batch[key] = body[key]
        if trigger is not None:
            batch["scheduled_timestamp"] = trigger
        if status == "sent" and batch["status"] != "sent":
            state.start(batch["batch_call_id"], state.clock())
        elif status == "scheduled" and batch["status"] == "draft":
            if batch["scheduled_timestamp"] <= state.clock():
                raise invalid("trigger_timestamp must be in the future to schedule a batch call")
            batch["status"] = "scheduled"
        elif status == "draft":
            batch["status"] = "draft"
        return success(public(state.refresh(batch["batch_call_id"])), "Batch call updated")

    async def delete(request: Request) -> JSONResponse:
        batch = batch_or_404(request)
        if batch["status"] not in ("draft", "completed"):
            raise invalid(f"Cannot delete batch call with status {batch['status'].upper()}")
        del state.batches[batch["batch_call_id"]]
        del state.plans[batch["batch_call_id"]]
        return success(None, "Batch call deleted")

    async def agents(request: Request) -> JSONResponse:
        limit = query_int(request, "limit", 20, maximum=100)
        return success(paginate(AGENTS, query_int(request, "page", 0) or 0, limit, "agents"))

    async def phone_numbers(request: Request) -> JSONResponse:
        return success({"phone_numbers": PHONE_NUMBERS})

    async def available_numbers(request: Request) -> JSONResponse:
        return success({"phone_numbers": AVAILABLE_NUMBERS})

    def guarded(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> JSONResponse:
            state.requests.append({"method": request.method, "path": request.url.path})
            try:
                authenticate(request)
                return await handler(request)
            except Refusal as refusal:
                return envelope_error(refusal.status, refusal.message, refusal.error)

        return endpoint

    one = "/batch-call/{batch_call_id}"
    app = Starlette(
        routes=[
            Route("/batch-call", guarded(create_batch), methods=["POST"]),
            Route("/batch-call/list", guarded(list_batches), methods=["GET"]),
            Route("/batch-call/list", guarded(filter_batches), methods=["POST"]),
            Route(one, guarded(get_batch), methods=["GET"]),
            Route(one, guarded(update), methods=["PATCH"]),
            Route(one, guarded(delete), methods=["DELETE"]),
            Route(one + "/tasks", guarded(list_tasks), methods=["GET"]),
            Route(one + "/execute", guarded(execute), methods=["POST"]),
            Route("/api/agents", guarded(agents), methods=["GET"]),
            Route("/api/phone-numbers", guarded(phone_numbers), methods=["GET"]),
            Route("/api/phone-numbers/available", guarded(available_numbers), methods=["GET"]),
        ]
    )
    app.state.sandbox = state
    return app
