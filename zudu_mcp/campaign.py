"""A campaign as the person asked for it: the one model of create's arguments.

The tools' signatures, the plan's input and the docs all come from `Campaign`; the wire model
(`zudu.models.CreateBatchCallRequest`) stays Zudu's own. Adding a Zudu field means adding it
here and there, nothing else. Strict agent stacks send every argument, the absent ones as null
(or "" for text): both mean "not given".
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from zudu_mcp.zudu.models import MAX_NAME_LENGTH, BatchStatus, QuietHours, RetryConfig, RetryRule, TimeZoneName

VariableValue = str | int | float | bool


def variables_in_any_shape(value: Any) -> Any:
    """An object, the same object as JSON text, or a list of {name, value}: agent stacks send all three."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError('dynamic_variables must be an object such as {"name": "Aswathi"} (or that object as JSON text)') from None
    if isinstance(value, list):
        pairs = {}
        for item in value:
            if not isinstance(item, dict) or "name" not in item:
                raise ValueError('dynamic_variables as a list must hold {"name": ..., "value": ...} items')
            pairs[str(item["name"])] = item.get("value", "")
        return pairs
    return value


class Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    to_number: str = Field(max_length=64, description="E.164 or national (read with default_region).")
    dynamic_variables: Annotated[dict[str, VariableValue] | None, BeforeValidator(variables_in_any_shape)] = Field(
        default=None, description="Values for the agent, e.g. {'name': 'Aswathi'}; sent as text, ≤ 5 KB."
    )


class Campaign(BaseModel):
    """What the person asked for, before anything is resolved, read or checked against Zudu."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH, description="Campaign name.")
    agent_id: str | None = Field(default=None, max_length=200, description="Agent id (agent_...) or exact name.")
    from_number: str | None = Field(default=None, max_length=64, description="Caller id, E.164; omit if the organization has one number.")
    tasks: list[Recipient] | None = Field(default=None, description="Recipients inline (short lists only).")
    recipients_csv: str | None = Field(default=None, max_length=20_000_000, description="CSV with a header: a phone column, others become variables.")
    recipients_file: str | None = Field(default=None, max_length=4096, description="Path of a .csv/.json/.jsonl/.xlsx list in an allowed folder.")
    phone_column: str | None = Field(default=None, max_length=255, description="Phone column, if not detected.")
    default_region: str | None = Field(default=None, max_length=2, description="Region for numbers without country code, e.g. 'IN'.")
    schedule: str | None = Field(default=None, max_length=500, description="When, as said ('tomorrow at 10am') or ISO 8601.")
    trigger_timestamp: int | None = Field(default=None, description="When, as Unix ms.")
    send_now: bool | None = Field(default=None, description="Dial at once.")
    timezone: TimeZoneName | None = Field(default=None, description="IANA zone, e.g. 'Asia/Kolkata'.")
    quiet_hours: QuietHours | None = Field(default=None, description="Daily window without calls.")
    retry_config: RetryConfig | None = Field(default=None, description="e.g. {max_attempts: 3}.")
    retry_rules: list[RetryRule] | None = Field(default=None, description="Retry per outcome.")
    status: BatchStatus | None = Field(default=None, description="'draft': save, dial nobody.")
    organization_id: str | None = Field(default=None, max_length=200, description="Multi-organization accounts only.")

    @model_validator(mode="before")
    @classmethod
    def _null_means_not_given(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not_given(key, value) is False}
        return data

    def given(self) -> dict[str, Any]:
        """The arguments as the person gave them, in JSON form: what a plan's identity is computed from."""
        return self.model_dump(mode="json", exclude_none=True)


def not_given(key: str, value: Any) -> bool:
    """null, "" and [] mean "not given"; so does a 0 timestamp (strict clients must send some integer)."""
    return value is None or value == "" or value == [] or (key == "trigger_timestamp" and value == 0)


CAMPAIGN_FIELDS = tuple(Campaign.model_fields)
