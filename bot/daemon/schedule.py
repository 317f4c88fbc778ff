"""When the daily digest is due: pure date arithmetic, no clock of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    """Send once a day at ``send_at`` local time in ``zone``."""

    send_at: time
    zone: ZoneInfo

    def today(self, now: datetime) -> date:
        """The local date at ``now``."""
        return now.astimezone(self.zone).date()

    def due_day(self, now: datetime, last_day: date | None) -> date | None:
        """The digest day to make now, or None when nothing is due.

        The day is the latest one whose send time has passed. Only a day after
        ``last_day`` counts: after downtime one digest goes out (not one per
        missed day), and a clock set back never sends a day twice. A first
        start before the send time waits for it rather than sending
        yesterday's digest an hour before today's.
        """
        local = now.astimezone(self.zone)
        # Comparing wall-clock times handles DST: a send time inside the
        # spring-forward gap is simply passed at 03:00; one inside the
        # repeated autumn hour fires on its first pass, and last_day stops
        # the second.
        passed = local.time().replace(tzinfo=None) >= self.send_at
        day = local.date() if passed else local.date() - timedelta(days=1)
        if last_day is None and not passed:
            return None
        if last_day is not None and day <= last_day:
            return None
        return day

    def next_send(self, now: datetime, last_day: date | None) -> datetime:
        """When the next digest is due (now, if one is due already)."""
        if self.due_day(now, last_day) is not None:
            return now
        local = now.astimezone(self.zone)
        candidate = local.date()
        if last_day is not None and candidate <= last_day:
            candidate = last_day + timedelta(days=1)
        moment = _local(candidate, self.send_at, self.zone)
        if moment <= now:
            moment = _local(candidate + timedelta(days=1), self.send_at, self.zone)
        return moment


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant on ``day`` whose wall-clock time is ``at`` or later.

    fold=0 picks the first of a repeated hour. A time inside a spring-forward
    gap never shows on the clock: the first instant past it is the jump
    itself, found by walking from the earlier of the gap's two readings.
    """
    naive = datetime.combine(day, at)
    moment = naive.replace(tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return moment
    probe = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while True:
        local = probe.astimezone(zone)
        if local.date() > day or local.time() >= at:
            return local
        probe += timedelta(minutes=1)
