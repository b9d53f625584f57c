"""The sandbox's HTTP face: Zudu's documented rules, answered with Zudu's own envelope.

It checks requests on its own (it does not reuse our wire models), so a mistake in those
models shows up as a sandbox refusal in tests instead of being mirrored and hidden. What it
remembers lives in state.py (in memory, or shared by processes in the state directory); what
happens on each call in calls.py.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from zudu_mcp.sandbox.state import BatchView, SandboxState

SANDBOX_API_KEY = "sk_sandbox0000000000000000000000000000"
SANDBOX_API_SECRET = "s3cr3t_sandbox00000000000000000000000000000000"
ORGANIZATION_ID = "org_sandbox"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
AGENT_ID = re.compile(r"^agent_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


AGENTS = [
    {"agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e", "name": "Sales-Renewals", "language": "en-IN", "voice": "Aria"},
    {"agent_id": "agent_5d1f7e44-2b8a-4c1e-9a6f-0c3b8e2d7a19", "name": "Delivery-Confirmation", "language": "hi-IN", "voice": "Kabir"},
    {"agent_id": "agent_c0ffee00-1234-4abc-8def-0123456789ab", "name": "US-Appointments", "language": "en-US", "voice": "Sam"},
]
PHONE_NUMBERS = [
    {
        "phone_number": "+918035315547",
        "nickname": "Bangalore main",
        "inbound_agent_id": None,
        "outbound_agent_id": "agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e",
    },
    {"phone_number": "+14155550123", "nickname": "US outbound", "inbound_agent_id": None, "outbound_agent_id": "agent_c0ffee00-1234-4abc-8def-0123456789ab"},
]
AVAILABLE_NUMBERS = [
    {"phone_number": "+918035315600", "country": "IN"},
    {"phone_number": "+14155550199", "country": "US"},
]
AGENT_NAMES = {agent["agent_id"]: agent["name"] for agent in AGENTS}


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


SORT_FIELDS = {
    "created_at": "created_timestamp",
    "updated_at": "created_timestamp",
    "scheduled_timestamp": "scheduled_timestamp",
    "name": "name",
    "status": "status",
    "total_task_count": "total_task_count",
}
CALL_SORT_FIELDS = ("created_at", "updated_at", "start_timestamp", "end_timestamp")
CALL_ORDERS = {"descending": True, "desc": True, "ascending": False, "asc": False}


def create_app(state: SandboxState | None = None, *, credentials: tuple[str, str] | None = None) -> Starlette:
    """`credentials` pins the accepted key/secret pair; without it any non-empty pair is accepted.
    Without a state, the sandbox lives in memory and is gone with the app."""
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

    def view_or_404(request: Request) -> BatchView:
        batch_call_id = request.path_params["batch_call_id"]
        view = state.view(batch_call_id)
        if view is None:
            raise Refusal(404, "Not found", f"Batch call {batch_call_id} not found")
        return view

    def start(view: BatchView, at: int) -> BatchView:
        view.record.batch.update(status="sent", started_at=at)
        return BatchView(view.record, at)

    async def create_batch(request: Request) -> JSONResponse:
        body = await read_json(request)
        now = state.now_ms()
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
            "started_at": now if status == "sent" else None,
        }
        record = state.create(batch, body, agent_name=AGENT_NAMES.get(body["agent_id"]))
        return JSONResponse(BatchView(record, now).public)  # the create page shows the batch bare, not enveloped

    async def get_batch(request: Request) -> JSONResponse:
        return success(view_or_404(request).public, "Batch call retrieved")

    def listed(status: list[str] | None, agent_id: list[str] | None, name: list[str] | None, sort_by: str | None, order: str | None):
        now = state.now_ms()
        batches = [BatchView(record, now).public for record in state.records()]
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
        view = view_or_404(request)
        limit = query_int(request, "limit", 50, maximum=100)
        return success(paginate(view.tasks, query_int(request, "page", 0) or 0, limit, "tasks"))

    async def execute(request: Request) -> JSONResponse:
        with state.writing():
            view = view_or_404(request)
            status = view.record.batch["status"]
            if status not in ("draft", "scheduled"):
                raise invalid(f"Cannot execute batch call with status {status.upper()}")
            view = start(view, state.now_ms())
            state.save(view.record)
        return success(view.public, "Batch call execution started")

    async def update(request: Request) -> JSONResponse:
        body = await read_json(request)
        with state.writing():
            view = view_or_404(request)
            batch, now = view.record.batch, state.now_ms()
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
            if trigger is not None and (not isinstance(trigger, int) or trigger <= now):
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
                view = start(view, now)
            elif status == "scheduled" and batch["status"] == "draft":
                if batch["scheduled_timestamp"] <= now:
                    raise invalid("trigger_timestamp must be in the future to schedule a batch call")
                batch["status"] = "scheduled"
            elif status == "draft":
                batch["status"] = "draft"
            state.save(view.record)
        return success(BatchView(view.record, now).public, "Batch call updated")

    async def delete(request: Request) -> JSONResponse:
        with state.writing():
            view = view_or_404(request)
            status = view.record.batch["status"]
            if status not in ("draft", "completed"):
                raise invalid(f"Cannot delete batch call with status {status.upper()}")
            state.delete(view.record.batch["batch_call_id"])
        return success(None, "Batch call deleted")

    async def get_call(request: Request) -> JSONResponse:
        call_id = request.path_params["call_id"]
        call = state.call(call_id)
        if call is None:
            raise Refusal(404, "Not found", f"Call with ID '{call_id}' does not exist")
        return success(call, "Call retrieved")

    async def list_calls(request: Request) -> JSONResponse:
        body = await read_json(request) if await request.body() else {}
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        page, limit = body.get("page", 0), body.get("limit", 20)
        if not isinstance(page, int) or isinstance(page, bool) or page < 0:
            raise invalid("page must be a non-negative integer")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            raise invalid("limit must be between 1 and 100")
        sort_by, order = body.get("sort_by") or "created_at", body.get("sort_order") or "descending"
        if sort_by not in CALL_SORT_FIELDS:
            raise invalid(f"sort_by must be one of {', '.join(CALL_SORT_FIELDS)}")
        if order not in CALL_ORDERS:
            raise invalid("sort_order must be ascending or descending")
        criteria = body.get("filter_criteria") or {}
        if not isinstance(criteria, dict):
            raise invalid("filter_criteria must be an object")
        statuses = {s.upper() for s in criteria.get("call_status") or [] if isinstance(s, str)}
        types = {t.upper() for t in criteria.get("call_type") or [] if isinstance(t, str)}
        agents = criteria.get("agent_id")
        agents = {agents} if isinstance(agents, str) else set(agents or [])
        now = state.now_ms()
        calls = [call for record in state.records() for call in BatchView(record, now).calls()]
        calls = [
            c
            for c in calls
            if (not statuses or c["call_status"] in statuses) and (not types or c["call_type"] in types) and (not agents or c["agent_id"] in agents)
        ]
        calls.sort(key=lambda c: (c[sort_by] is None, c[sort_by] or 0, c["call_id"]), reverse=CALL_ORDERS[order])
        pagination = {"page": page, "limit": limit, "total": len(calls), "total_pages": math.ceil(len(calls) / limit)}
        return success({"calls": calls[page * limit : (page + 1) * limit], "pagination": pagination})

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
            Route("/api/calls", guarded(list_calls), methods=["POST"]),
            Route("/api/calls/{call_id}", guarded(get_call), methods=["GET"]),
            Route("/api/agents", guarded(agents), methods=["GET"]),
            Route("/api/phone-numbers", guarded(phone_numbers), methods=["GET"]),
            Route("/api/phone-numbers/available", guarded(available_numbers), methods=["GET"]),
        ]
    )
    app.state.sandbox = state
    return app
