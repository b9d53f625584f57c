"""Which zone and date order a phrase is read in when the person did not say, and why (stated in results)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zudu_mcp.scheduling.resolver import ScheduledTime, ScheduleRefusal, resolve_schedule
from zudu_mcp.scheduling.zones import default_date_order

if TYPE_CHECKING:
    from datetime import datetime

    from zudu_mcp.config import Settings


class Clocked(Protocol):
    """What resolve() reads of a backend: its settings and its clock (a plan passes a stand-in with a fixed now)."""

    @property
    def settings(self) -> Settings: ...

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Choice:
    value: str
    source: str  # in words, for the result: "the batch's timezone", "ZUDU_DEFAULT_TIMEZONE", ...


def choose_timezone(given: str | None, configured: str | None) -> Choice:
    if given:
        return Choice(given, "given")
    if configured:
        return Choice(configured, "default from ZUDU_DEFAULT_TIMEZONE")
    machine = machine_timezone()
    if machine:
        return Choice(machine, "default: this server's time zone")
    return Choice("UTC", "default: UTC (no zone configured and none found on this server)")


def choose_date_order(given: str | None, configured: str | None, zone: str) -> Choice:
    if given:
        return Choice(given.upper(), "given")
    if configured:
        return Choice(configured.upper(), "default from ZUDU_DATE_ORDER")
    order = default_date_order(zone)
    return Choice(order, f"default for {zone}: {'month first (US)' if order == 'MDY' else 'day first'}")


def machine_timezone() -> str | None:
    try:
        from tzlocal import get_localzone_name  # lazy: reads /etc/localtime or TZ

        name = get_localzone_name()
    except Exception:  # no zone configured on the machine; UTC is the documented fallback
        return None
    return name if name and ("/" in name or name == "UTC") else None


@dataclass
class Resolution:
    """A spoken time read with the server's defaults, and which defaults were used."""

    result: ScheduledTime | ScheduleRefusal
    timezone: Choice
    date_order: Choice


def resolve(text: str, timezone: str | None, date_order: str | None, backend: Clocked) -> Resolution:
    settings = backend.settings
    zone = choose_timezone(timezone, settings.default_timezone)
    order = choose_date_order(date_order, settings.date_order, zone.value)
    result = resolve_schedule(text, zone.value, now=backend.now(), date_order=order.value, horizon_days=settings.schedule_horizon_days)
    return Resolution(result, zone, order)
