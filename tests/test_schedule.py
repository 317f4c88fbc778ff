"""The daily schedule: one digest a day across restarts, DST and clocks set back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.daemon.schedule import Schedule

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def berlin(send_at: str = "07:00") -> Schedule:
    hours, minutes = send_at.split(":")
    return Schedule(time(int(hours), int(minutes)), BERLIN)


def test_nothing_is_due_before_the_send_time_on_a_first_start() -> None:
    assert berlin().due_day(at("2026-12-04T06:59"), None) is None


def test_a_first_start_after_the_send_time_makes_todays_digest() -> None:
    assert berlin().due_day(at("2026-12-04T07:00"), None) == date(2026, 12, 4)


def test_todays_digest_is_not_made_twice() -> None:
    schedule = berlin()
    assert schedule.due_day(at("2026-12-04T09:00"), date(2026, 12, 4)) is None
    assert schedule.due_day(at("2026-12-04T23:59"), date(2026, 12, 4)) is None


def test_after_a_week_of_downtime_one_digest_is_due_not_seven() -> None:
    schedule = berlin()
    last = date(2026, 11, 27)
    day = schedule.due_day(at("2026-12-04T12:00"), last)
    assert day == date(2026, 12, 4)
    assert schedule.due_day(at("2026-12-04T12:01"), day) is None


def test_a_restart_before_the_send_time_sends_yesterdays_missed_digest_once() -> None:
    schedule = berlin()
    missed = schedule.due_day(at("2026-12-04T05:00"), date(2026, 12, 2))
    assert missed == date(2026, 12, 3)
    # ...and today's still goes out at seven.
    assert schedule.due_day(at("2026-12-04T06:59"), missed) is None
    assert schedule.due_day(at("2026-12-04T07:00"), missed) == date(2026, 12, 4)


def test_midnight_does_not_make_a_digest_by_itself() -> None:
    schedule = berlin()
    assert schedule.due_day(at("2026-12-05T00:00:01"), date(2026, 12, 4)) is None


def test_a_clock_set_back_a_day_sends_nothing_again() -> None:
    schedule = berlin()
    assert schedule.due_day(at("2026-12-03T08:00"), date(2026, 12, 4)) is None


def test_spring_forward_with_the_send_time_inside_the_gap_sends_once() -> None:
    # 2026-03-29: Berlin's clocks jump from 02:00 to 03:00.
    schedule = berlin("02:30")
    last = date(2026, 3, 28)
    before = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)  # 01:59 local
    after = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 local
    assert schedule.due_day(before, last) is None
    assert schedule.due_day(after, last) == date(2026, 3, 29)
    assert schedule.due_day(after + timedelta(hours=1), date(2026, 3, 29)) is None


def test_fall_back_with_the_send_time_in_the_repeated_hour_sends_once() -> None:
    # 2026-10-25: Berlin's 02:00-03:00 happens twice.
    schedule = berlin("02:30")
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    day = schedule.due_day(first, date(2026, 10, 24))
    assert day == date(2026, 10, 25)
    assert schedule.due_day(second, day) is None


def test_every_hour_for_two_years_gives_exactly_one_digest_per_day() -> None:
    schedule = berlin()
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    last: date | None = None
    days: list[date] = []
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        day = schedule.due_day(moment, last)
        if day is not None:
            days.append(day)
            last = day
        moment += timedelta(minutes=20)
    assert len(days) == len(set(days))
    assert days == sorted(days)
    first, final = days[0], days[-1]
    assert len(days) == (final - first).days + 1


def test_the_send_time_is_read_in_the_schedules_time_zone() -> None:
    shanghai = Schedule(time(7, 0), ZoneInfo("Asia/Shanghai"))
    # 23:00 UTC is 07:00 the next morning in Shanghai.
    moment = datetime(2026, 12, 4, 23, 0, tzinfo=UTC)
    assert shanghai.due_day(moment, date(2026, 12, 4)) == date(2026, 12, 5)


def test_next_send_names_the_coming_send_time() -> None:
    schedule = berlin()
    now = at("2026-12-04T09:00")
    assert schedule.next_send(now, date(2026, 12, 4)) == at("2026-12-05T07:00")
    assert schedule.next_send(at("2026-12-04T06:00"), date(2026, 12, 3)) == at(
        "2026-12-04T07:00"
    )
    # Due already: now.
    assert schedule.next_send(now, date(2026, 12, 1)) == now
