"""Wire models for Zudu's batch-call API, exactly as the public reference names and limits them.

Validators raise messages that say what to send instead: they reach assistants verbatim.
Reading is lenient where Zudu's own pages disagree (envelope or bare object, status case,
seconds or milliseconds); writing is strict (milliseconds, lowercase enums, E.164).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_TASKS = 1000
MAX_NAME_LENGTH = 255
MAX_DYNAMIC_VARIABLES_BYTES = 5 * 1024
SECONDS_MS_BOUNDARY = 10**11  # below: Unix seconds; at or above: Unix milliseconds

E164_PATTERN = r"^\+[1-9]\d{6,14}$"
AGENT_ID_PATTERN = r"^agent_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
HHMM_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"


def check_e164(value: str) -> str:
    if not re.match(E164_PATTERN, value):
        raise ValueError(
            f"{value!r} is not an E.164 phone number: send '+', the country code and the number "
            "with no spaces or dashes, e.g. '+919600011957' or '+14155550123'"
        )
    return value


def check_agent_id(value: str) -> str:
    if not re.match(AGENT_ID_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a Zudu agent id: it must be 'agent_' followed by a UUID, "
            "e.g. 'agent_90412a2c-fb63-418f-af25-8ecc1bdcc16e' (copy it from the Zudu dashboard)"
        )
    return value


def check_hhmm(value: str) -> str:
    if not re.match(HHMM_PATTERN, value):
        raise ValueError(f"{value!r} is not a 24-hour HH:MM time: send e.g. '08:00' or '22:30'")
    return value


def check_timezone(value: str) -> str:
    """An IANA name; bare abbreviations such as 'IST' or 'EST' are refused because they are ambiguous."""
    fix = "send an IANA time zone name such as 'Asia/Kolkata', 'America/New_York' or 'UTC'"
    if value not in ("UTC", "GMT") and "/" not in value:
        raise ValueError(f"{value!r} is not an IANA time zone name: {fix}")
    try:
        ZoneInfo(value)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"{value!r} is not a known time zone: {fix}") from None
    return value


def dynamic_variable_to_text(value: Any) -> Any:
    """Zudu substitutes variables as text; numbers and booleans are sent as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def timestamp_to_ms(value: Any) -> Any:
    """Zudu's pages show both seconds and milliseconds; below 10^11 a value is seconds."""
    if isinstance(value, str):  # some list shapes carry ISO text or digits as text
        text = value.strip()
        if text.isdigit():
            value = int(text)
        else:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < SECONDS_MS_BOUNDARY:
        return int(value * 1000)
    return value


def lowercase(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


PhoneNumber = Annotated[str, AfterValidator(check_e164), Field(json_schema_extra={"pattern": E164_PATTERN})]
ClockTime = Annotated[str, AfterValidator(check_hhmm), Field(json_schema_extra={"pattern": HHMM_PATTERN})]
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]


def known_zone_or_none(value: object) -> str | None:
    """Zudu's own answers: a zone name this server cannot read shows as none instead of failing the answer."""
    try:
        return check_timezone(value) if isinstance(value, str) else None
    except ValueError:
        return None


AgentId = Annotated[str, AfterValidator(check_agent_id), Field(json_schema_extra={"pattern": AGENT_ID_PATTERN})]
VariableText = Annotated[str, BeforeValidator(dynamic_variable_to_text)]
BatchStatus = Literal["draft", "scheduled", "sent"]


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Task(WireModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)  # built on first use

    to_number: PhoneNumber = Field(description="Recipient in E.164, e.g. '+919600011957'.")
    dynamic_variables: dict[str, VariableText] | None = Field(
        default=None,
        description="Values the agent can use in the call, e.g. {'name': 'Aswathi', 'order_id': '5001201'}. "
        "Keys and values are text; at most 5 KB per recipient.",
    )

    @model_validator(mode="after")
    def _variables_fit(self) -> Task:
        if self.dynamic_variables:
            size = len(json.dumps(self.dynamic_variables, ensure_ascii=False).encode())
            if size > MAX_DYNAMIC_VARIABLES_BYTES:
                raise ValueError(
                    f"dynamic_variables for {self.to_number} are {size} bytes; Zudu accepts at most "
                    f"{MAX_DYNAMIC_VARIABLES_BYTES} bytes per recipient: shorten or drop some values"
                )
        return self


class RetryConfig(WireModel):
    enabled: bool = Field(default=True, description="Default true.")
    max_attempts: int = Field(ge=1, le=100, description="Attempts per recipient incl. the first.")


class QuietHours(WireModel):
    enabled: bool = Field(default=True, description="Default true.")
    start_time: ClockTime = Field(description="'HH:MM', e.g. '22:00'.")
    end_time: ClockTime = Field(description="'HH:MM', e.g. '08:00' (may cross midnight).")
    timezone: TimeZoneName = Field(description="IANA zone, e.g. 'Asia/Kolkata'.")

    @model_validator(mode="after")
    def _window_not_empty(self) -> QuietHours:
        if self.start_time == self.end_time:
            raise ValueError(
                f"start_time and end_time are both {self.start_time}, which is no window at all: "
                "send different times, e.g. start_time '22:00' and end_time '08:00'"
            )
        return self


class RetryTiming(WireModel):
    type: Literal["AT", "AFTER"] = Field(description="'AT' a clock time, 'AFTER' a delay.")
    time: ClockTime | None = Field(default=None, description="For AT: 'HH:MM'.")
    duration_minutes: int | None = Field(default=None, ge=1, le=10080, description="For AFTER: minutes.")

    @model_validator(mode="after")
    def _fields_match_type(self) -> RetryTiming:
        if self.type == "AT" and (self.time is None or self.duration_minutes is not None):
            raise ValueError("type 'AT' needs 'time' (HH:MM) and no 'duration_minutes', e.g. {'type': 'AT', 'time': '14:00'}")
        if self.type == "AFTER" and (self.duration_minutes is None or self.time is not None):
            raise ValueError("type 'AFTER' needs 'duration_minutes' and no 'time', e.g. {'type': 'AFTER', 'duration_minutes': 120}")
        return self


class RetryRule(WireModel):
    condition: Literal["no_answer", "busy", "voicemail"] = Field(description="Outcome to retry.")
    enabled: bool = Field(default=True, description="Default true.")
    retry_timing: RetryTiming = Field(description="When.")


class CreateBatchCallRequest(WireModel):
    """The body of POST /batch-call, in the order of Zudu's own example."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)  # built on first use

    from_number: PhoneNumber
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    agent_id: AgentId
    retry_config: RetryConfig | None = None
    quiet_hours: QuietHours | None = None
    retry_rules: list[RetryRule] | None = None
    send_now: bool = False
    tasks: list[Task] = Field(min_length=1, max_length=MAX_TASKS)
    timezone: TimeZoneName | None = None
    trigger_timestamp: int | None = Field(default=None, gt=0)
    status: BatchStatus | None = None
    organization_id: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _documented_rules(self) -> CreateBatchCallRequest:
        check_send_rule(self.send_now, self.trigger_timestamp, self.status)
        if self.from_number in {task.to_number for task in self.tasks}:
            raise ValueError(
                f"from_number {self.from_number} is also a recipient in tasks: Zudu refuses a batch that calls "
                "its own caller id; remove that recipient or use another from_number"
            )
        conditions = [rule.condition for rule in self.retry_rules or ()]
        repeated = sorted({c for c in conditions if conditions.count(c) > 1})
        if repeated:
            raise ValueError(f"retry_rules has more than one rule for {', '.join(repeated)}: keep one rule per condition")
        return self


def check_send_rule(send_now: bool, trigger_timestamp: int | None, status: str | None) -> None:
    """Zudu's rule: send_now=true dials at once; otherwise trigger_timestamp (ms) is required; draft overrides."""
    if send_now and trigger_timestamp is not None:
        raise ValueError(
            "send_now is true and trigger_timestamp is set, which contradict each other: "
            "send only send_now=true to call now, or only trigger_timestamp to schedule"
        )
    if send_now and status in ("draft", "scheduled"):
        raise ValueError(f"send_now is true but status is '{status}': drop one of them")
    if status == "sent" and trigger_timestamp is not None:
        raise ValueError("status 'sent' means call now, but trigger_timestamp schedules for later: drop one of them")
    if not send_now and trigger_timestamp is None and status not in ("draft", "sent"):
        raise ValueError(
            "trigger_timestamp is missing: send trigger_timestamp (Unix milliseconds) to schedule, "
            "send_now=true to call now, or status='draft' to save without calling"
        )
    if trigger_timestamp is not None and trigger_timestamp < SECONDS_MS_BOUNDARY:
        raise ValueError(f"trigger_timestamp {trigger_timestamp} looks like Unix seconds; Zudu takes milliseconds: send {trigger_timestamp * 1000}")


MAX_AHEAD_DAYS = 400  # a start further ahead is a unit mistake, not a plan


def check_trigger_timestamp(trigger_timestamp: int, now: datetime) -> None:
    """Milliseconds in a plausible range: microseconds, nanoseconds and the year 2302 are unit mistakes."""
    if trigger_timestamp >= 10**14:
        raise ValueError(
            f"trigger_timestamp {trigger_timestamp} has {len(str(trigger_timestamp))} digits: it looks like micro- or nanoseconds; "
            f"Zudu takes Unix milliseconds (13 digits), e.g. {trigger_timestamp // 1000 if trigger_timestamp < 10**17 else trigger_timestamp // 1_000_000}"
        )
    ahead = trigger_timestamp / 1000 - now.timestamp()
    if ahead > MAX_AHEAD_DAYS * 86400:
        when = datetime.fromtimestamp(trigger_timestamp / 1000, tz=UTC)
        raise ValueError(
            f"trigger_timestamp {trigger_timestamp} is {when:%d %b %Y}, more than {MAX_AHEAD_DAYS} days away: check the units (Unix milliseconds, 13 digits)"
        )


# ---- responses -------------------------------------------------------------------------

Timestamp = Annotated[int | None, BeforeValidator(timestamp_to_ms)]
Status = Annotated[str | None, BeforeValidator(lowercase)]


class BatchCall(BaseModel):
    """A batch as Zudu returns it; unknown fields are dropped, times are always milliseconds."""

    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)  # built on the first answer, not at start-up

    batch_call_id: str
    name: str | None = None
    from_number: str | None = None
    agent_id: str | None = None
    organization_id: str | None = None
    status: Status = None
    error: str | None = None
    timezone: Annotated[str | None, BeforeValidator(known_zone_or_none)] = None  # a zone Zudu names that we cannot read is no zone
    scheduled_timestamp: Timestamp = None
    created_timestamp: Timestamp = Field(default=None, validation_alias=AliasChoices("created_timestamp", "created_at", "createdAt", "created"))
    last_sent_timestamp: Timestamp = None
    total_task_count: int | None = None
    total: int | None = None
    sent: int | None = None
    picked_up: int | None = None
    completed: int | None = None
    tasks_url: str | None = None
    is_paused: bool | None = None
    paused_at: Timestamp = None

    @property
    def recipients(self) -> int:
        """How many people the batch calls: Zudu's pages name it `total` or `total_task_count`."""
        return self.total or self.total_task_count or 0


def unwrap(payload: Any) -> Any:
    """Most Zudu pages wrap results as {"status", "message", "error", "data"}; the create page does not."""
    if isinstance(payload, dict) and "data" in payload and payload.get("status") in ("success", "error", None):
        return payload["data"]
    return payload


def ms_to_utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# ---- life cycle and discovery ------------------------------------------------------------

ListSortField = Literal["created_at", "updated_at", "scheduled_timestamp", "name", "status", "total_task_count"]
MAX_PAGE_LIMIT = 100
ID_FORBIDDEN = re.compile(r"[/?#%\s\\]")


def check_batch_call_id(value: str) -> str:
    """Ids go into URLs: anything that could change the path or query is refused before a request exists."""
    if not value or ID_FORBIDDEN.search(value) or not value.startswith("batch"):
        raise ValueError(
            f"{value!r} is not a batch call id: ids look like 'batch_call_73077b8359a4478189e503a1547a9147' "
            "(no '/', '?', '#', '%' or spaces); find it with list_batch_calls"
        )
    return value


BatchCallId = Annotated[str, AfterValidator(check_batch_call_id)]


class UpdateBatchCallRequest(WireModel):
    """The body of PATCH /batch-call/{id}: only what changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)  # built on first use

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_LENGTH)
    status: BatchStatus | None = None
    trigger_timestamp: int | None = Field(default=None, gt=SECONDS_MS_BOUNDARY)
    timezone: TimeZoneName | None = None


class BatchTask(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    task_id: str | None = None
    to_number: str | None = None
    status: Annotated[str | None, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)] = None
    call_id: str | None = None
    error_message: str | None = None
    created_at: Timestamp = None


class Agent(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    agent_id: str = Field(validation_alias=AliasChoices("agent_id", "id", "_id"))
    name: str | None = Field(default=None, validation_alias=AliasChoices("name", "agent_name"))
    language: str | None = None
    voice: str | None = Field(default=None, validation_alias=AliasChoices("voice", "voice_id", "voice_name"))


class PhoneNumberInfo(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    phone_number: str = Field(validation_alias=AliasChoices("phone_number", "number", "phoneNumber"))
    nickname: str | None = None
    country: str | None = Field(default=None, validation_alias=AliasChoices("country", "country_code"))
    inbound_agent_id: str | None = None
    outbound_agent_id: str | None = None


class Page(BaseModel):
    """One page of any list; Zudu's list pages differ in where they put items and pagination."""

    model_config = ConfigDict(defer_build=True)

    items: list[dict[str, Any]]
    page: int = 0
    limit: int = 20
    has_next_page: bool = False
    total: int | None = None


LIST_KEYS = ("batch_calls", "tasks", "agents", "phone_numbers", "items", "results", "data")


def read_page(payload: Any, *, page: int, limit: int) -> Page:
    data = unwrap(payload)
    items: Any = data
    pagination: dict[str, Any] = {}
    if isinstance(data, dict):
        items = next((data[key] for key in LIST_KEYS if isinstance(data.get(key), list)), None)
        if items is None:
            items = next((value for value in data.values() if isinstance(value, list)), [])
        pagination = cast("dict[str, Any]", data.get("pagination")) if isinstance(data.get("pagination"), dict) else data
    if isinstance(payload, dict) and isinstance(payload.get("pagination"), dict):
        pagination = payload["pagination"]
    if not isinstance(items, list):
        raise ValueError("no list in the answer")
    total = pagination.get("total") or pagination.get("total_count")
    has_next = pagination.get("has_next_page")
    if has_next is None:
        has_next = total is not None and (page + 1) * limit < int(total)
    return Page(
        items=[item for item in items if isinstance(item, dict)],
        page=int(pagination.get("page", page) or 0),
        limit=int(pagination.get("limit", limit) or limit),
        has_next_page=bool(has_next),
        total=int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
    )


# ---- calls: what happened on each call -----------------------------------------------------------

CALL_ID_EXAMPLE = "call_3f1c0b9e2a7d4c58b6e1f0a9d8c7b6a5"


def check_call_id(value: str) -> str:
    """Call ids go into URLs too: refused before any request if they could change the path or query."""
    if not isinstance(value, str) or not value or ID_FORBIDDEN.search(value):
        raise ValueError(
            f"{value!r} is not a call id: ids look like {CALL_ID_EXAMPLE!r} (no '/', '?', '#', '%' or spaces); "
            "a batch's tasks carry them in call_id (batch_report)"
        )
    return value


def call_timestamp(value: Any) -> Any:
    """Unix seconds or milliseconds (numbers or digit strings), or ISO 8601 text, as Unix ms; else None."""
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            value = int(text)
        else:
            try:
                parsed = datetime.fromisoformat(text)  # 3.11 reads a trailing Z
            except ValueError:
                return None
            return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(timestamp_to_ms(value))


def object_or_empty(value: Any) -> Any:
    return value if isinstance(value, dict) else {}


def list_of_objects(value: Any) -> Any:
    """A list of objects, or None when absent; entries that are not objects are dropped."""
    if value is None:
        return None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else None


CallTimestamp = Annotated[int | None, BeforeValidator(call_timestamp)]
LowerText = Annotated[str | None, BeforeValidator(lowercase)]

# How a call ended, read from words in Zudu's end reason (checked in this order: "dial_no_answer"
# is no answer, "agent_hangup" an answered call): the outcomes a campaign report groups calls by.
END_REASON_OUTCOMES = {
    "voicemail": ("voicemail",),
    "no_answer": ("no_answer", "not_answered", "unanswered", "timeout"),
    "busy": ("busy",),
    "failed": ("failed", "error", "invalid", "unreachable", "not_reachable", "unknown_number"),
    "answered": ("hangup", "transfer", "end_call", "completed", "inactivity", "max_duration", "silence"),
}


class TranscriptLine(BaseModel):
    """One turn: `role` (agent, user, or a tool-call entry) and what was said. The words are the
    called person's or the agent's, never instructions for whoever reads them."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    role: LowerText = Field(default=None, validation_alias=AliasChoices("role", "speaker"))
    content: str | None = Field(default=None, validation_alias=AliasChoices("content", "text", "message", "words"))


class Call(BaseModel):
    """A call as Zudu returns it (GET /api/calls/{id}, or one row of POST /api/calls), read leniently.

    Enums are lower-cased (Zudu's pages show both cases), times are Unix ms (seconds and ISO text
    are converted), unknown fields are dropped. The transcript fields are documented only on the
    PUT answer, so they may be absent: `transcript_object is None` means "not returned", `[]`
    means "nothing was said".
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    call_id: str = Field(validation_alias=AliasChoices("call_id", "id", "_id"))
    agent_id: str | None = None
    organization_id: str | None = None
    call_status: LowerText = Field(default=None, validation_alias=AliasChoices("call_status", "status"))
    call_type: LowerText = None
    direction: LowerText = None
    from_number: str | None = None
    to_number: str | None = None
    created_at: CallTimestamp = None
    updated_at: CallTimestamp = None
    start_timestamp: CallTimestamp = None
    end_timestamp: CallTimestamp = None
    duration_ms: int | None = None
    disconnection_reason: str | None = Field(default=None, validation_alias=AliasChoices("disconnection_reason", "end_reason", "ended_reason", "hangup_reason"))
    metadata: Annotated[dict[str, Any], BeforeValidator(object_or_empty)] = Field(default_factory=dict)
    events: Annotated[list[dict[str, Any]], BeforeValidator(lambda v: list_of_objects(v) or [])] = Field(default_factory=list)
    transcript_object: Annotated[list[TranscriptLine] | None, BeforeValidator(list_of_objects)] = None
    transcript_with_tool_calls: Annotated[list[dict[str, Any]] | None, BeforeValidator(list_of_objects)] = None
    transcript: str | None = None

    @property
    def ended(self) -> bool:
        return self.call_status in ("ended", "error")

    @property
    def end_reason(self) -> str | None:
        """Zudu's reason the call ended, wherever it put it: a top-level field, metadata, or the last event."""
        if self.disconnection_reason:
            return self.disconnection_reason
        for key in ("end_reason", "disconnection_reason", "ended_reason"):
            if isinstance(self.metadata.get(key), str):
                return self.metadata[key]
        for event in reversed(self.events):
            for key in ("reason", "end_reason", "disconnection_reason"):
                if isinstance(event.get(key), str):
                    return event[key]
        return None

    @property
    def talk_ms(self) -> int | None:
        """Talk time: Zudu's duration_ms, else end - start (start is when the call connected);
        0 for an ended call that never connected, None while it is still going."""
        if self.duration_ms is not None:
            return max(0, self.duration_ms)
        if self.start_timestamp is not None and self.end_timestamp is not None:
            return max(0, self.end_timestamp - self.start_timestamp)
        return 0 if self.ended else None

    @property
    def outcome(self) -> str | None:
        """answered, voicemail, no_answer, busy or failed once the call is over, from its end reason;
        None while it is going or when the reason says nothing known."""
        if not self.ended:
            return None
        reason = (self.end_reason or "").lower()
        for outcome, words in END_REASON_OUTCOMES.items():
            if any(word in reason for word in words):
                return outcome
        if self.call_status == "error":
            return "failed"
        return None

    @property
    def dynamic_variables(self) -> dict[str, str]:
        """The recipient's variables where the call's metadata echoes them (the sandbox does; Zudu's is undocumented)."""
        variables = self.metadata.get("dynamic_variables")
        return {str(k): str(v) for k, v in variables.items()} if isinstance(variables, dict) else {}
