"""From what a person says to an exact instant, echoed in every form, or a clear refusal."""

from zudu_mcp.scheduling.instants import Instant, describe_instant
from zudu_mcp.scheduling.resolver import ScheduledTime, ScheduleRefusal, resolve_schedule

__all__ = ["Instant", "ScheduleRefusal", "ScheduledTime", "describe_instant", "resolve_schedule"]
