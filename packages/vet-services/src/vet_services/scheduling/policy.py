"""A clinic's scheduling rules: slot grid, buffers, notice, horizon, holds and service lengths.

Until clinics carry a JSONB ``settings`` column (key ``"scheduling"``), every service takes an
optional ``policy`` and falls back to :class:`SchedulingPolicy` defaults. :meth:`from_mapping`
is what will read that column: it validates each value so a typo in a clinic's settings fails
loudly instead of silently producing no slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from vet_core.exceptions import SchemaValidationException
from vet_core.models.enums import ServiceType

POLICY_INVALID = "SCHEDULING_POLICY_INVALID"

#: Typical lengths; a service missing here lasts the veterinarian's default appointment length.
DEFAULT_SERVICE_MINUTES: Mapping[ServiceType, int] = MappingProxyType(
    {
        ServiceType.WELLNESS_EXAM: 30,
        ServiceType.VACCINATION: 15,
        ServiceType.SICK_VISIT: 30,
        ServiceType.FOLLOW_UP: 15,
        ServiceType.DENTAL: 60,
        ServiceType.SURGERY: 120,
        ServiceType.GROOMING: 60,
        ServiceType.EMERGENCY: 60,
        ServiceType.CONSULTATION: 30,
        ServiceType.TELEMEDICINE: 20,
    }
)

# (lowest, highest) accepted for each integer setting.
_RANGES: Mapping[str, tuple[int, int]] = {
    "slot_interval_minutes": (5, 240),
    "buffer_before_minutes": (0, 240),
    "buffer_after_minutes": (0, 240),
    "min_notice_minutes": (0, 60 * 24 * 30),
    "max_horizon_days": (1, 730),
    "hold_minutes": (1, 60),
    "cancellation_window_hours": (0, 24 * 14),
    "waitlist_offer_minutes": (1, 60 * 24 * 7),
    "alternatives_count": (0, 20),
    "no_show_grace_minutes": (0, 60 * 24),
}
_SERVICE_MINUTES_RANGE = (5, 480)


def _invalid(message: str, field_name: str) -> SchemaValidationException:
    return SchemaValidationException(message, code=POLICY_INVALID, details={"field": field_name})


def _check_int(name: str, value: object) -> int:
    low, high = _RANGES.get(name, _SERVICE_MINUTES_RANGE)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{name} must be a whole number, got {value!r}", name)
    if not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high}, got {value}", name)
    return value


@dataclass(frozen=True, slots=True)
class SchedulingPolicy:
    """How one clinic hands out time. All values are validated on construction.

    Buffers pad *appointments*, not opening hours: with a 10-minute ``buffer_after`` a visit
    ending at 10:00 keeps the next one from starting before 10:10, while the first visit of the
    day may still start at opening time.
    """

    slot_interval_minutes: int = 15
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 60
    max_horizon_days: int = 90
    hold_minutes: int = 10
    cancellation_window_hours: int = 24
    waitlist_offer_minutes: int = 30
    #: How many next free slots an overlap conflict offers.
    alternatives_count: int = 3
    #: How long after an appointment's end, never checked in, it is marked a no-show.
    no_show_grace_minutes: int = 30
    #: Owners' bookings wait for the clinic's approval (``requested``) instead of ``scheduled``.
    owner_bookings_need_approval: bool = False
    service_minutes: Mapping[ServiceType, int] = field(
        default_factory=lambda: DEFAULT_SERVICE_MINUTES
    )

    def __post_init__(self) -> None:
        for name in _RANGES:
            _check_int(name, getattr(self, name))
        if not isinstance(self.owner_bookings_need_approval, bool):
            raise _invalid("owner_bookings_need_approval must be true or false", "approval")
        checked = {
            ServiceType(service): _check_int(f"service_minutes.{service}", minutes)
            for service, minutes in self.service_minutes.items()
        }
        object.__setattr__(self, "service_minutes", MappingProxyType(checked))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> SchedulingPolicy:
        """A policy from a clinic's stored settings; unknown keys are refused, missing ones default.

        ``service_minutes`` is merged over :data:`DEFAULT_SERVICE_MINUTES`, so a clinic lists only
        the services it times differently.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise _invalid("scheduling settings must be an object", "scheduling")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise _invalid(f"unknown scheduling settings: {', '.join(unknown)}", unknown[0])
        values = dict(data)
        raw_services = values.pop("service_minutes", {})
        if not isinstance(raw_services, Mapping):
            raise _invalid("service_minutes must map service types to minutes", "service_minutes")
        services = dict(DEFAULT_SERVICE_MINUTES)
        for key, minutes in raw_services.items():
            try:
                service = ServiceType(key)
            except ValueError:
                raise _invalid(f"unknown service type {key!r}", "service_minutes") from None
            services[service] = minutes
        return cls(**values, service_minutes=services)

    def duration_for(self, service_type: ServiceType, default_minutes: int) -> timedelta:
        """How long ``service_type`` lasts; ``default_minutes`` is the veterinarian's default."""
        return timedelta(minutes=self.service_minutes.get(service_type, default_minutes))

    @property
    def slot_interval(self) -> timedelta:
        return timedelta(minutes=self.slot_interval_minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    @property
    def max_horizon(self) -> timedelta:
        return timedelta(days=self.max_horizon_days)

    @property
    def hold_duration(self) -> timedelta:
        return timedelta(minutes=self.hold_minutes)

    @property
    def cancellation_window(self) -> timedelta:
        return timedelta(hours=self.cancellation_window_hours)

    @property
    def waitlist_offer_duration(self) -> timedelta:
        return timedelta(minutes=self.waitlist_offer_minutes)

    @property
    def no_show_grace(self) -> timedelta:
        return timedelta(minutes=self.no_show_grace_minutes)


__all__ = ["DEFAULT_SERVICE_MINUTES", "POLICY_INVALID", "SchedulingPolicy"]
