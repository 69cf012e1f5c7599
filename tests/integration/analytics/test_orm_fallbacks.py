"""`make run` serves the app from SQLite, where every aggregate goes through the ORM instead
of the PostgreSQL statements the suite otherwise exercises. On the same activities, in time
zones whose midnights fall at different instants (and across a DST change), both must give
the same sums: a newcomer's first look at Astral shows the numbers a club will see."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics import selectors
from tests.factories import make_activity, make_user

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 10, 20), date(2026, 11, 25)  # Los Angeles leaves DST on 1 November
ZONES = ["America/Los_Angeles", "Asia/Kathmandu", ""]  # "" is UTC


def rounded(value):
    """Sums of the same floats in another order may differ in the last bits."""
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


@pytest.fixture
def athletes():
    users = [make_user(f"tz{i}", timezone=zone) for i, zone in enumerate(ZONES)]
    start = datetime(2026, 10, 19, tzinfo=UTC)
    for index, user in enumerate(users):
        for step in range(90):
            # Every 9 h 25 min: starts fall at every hour of the day, near each midnight too.
            when = start + timedelta(minutes=565 * step + 7 * index)
            make_activity(
                user,
                when,
                distance=3000 + 137 * step,
                duration=900 + 11 * step,
                training_load=20.05 + step,
                calories=150 + step,
                elevation_gain=step % 17,
                pace_z2_time=600 + step,
                sport="run" if step % 4 else "ride",
            )
    return users


def test_activity_buckets_match(athletes):
    for user in athletes:
        tz = ZoneInfo(user.tz_name)
        start = selectors.local_midnight(FIRST, tz)
        end = selectors.local_midnight(LAST + timedelta(days=1), tz)
        for granularity in ("day", "week", "month"):
            for sport in (None, "run"):
                in_sql = selectors.activity_buckets(
                    user, start=start, end=end, tz=tz, granularity=granularity, sport=sport
                )
                in_orm = selectors._activity_buckets_orm(user, start, end, tz, granularity, sport)
                assert rounded(in_sql) == rounded(in_orm), (user.tz_name, granularity, sport)
                assert len(in_sql) > 1
            columns = ["distance", "training_load", "pace_z2_time"]
            assert selectors.bucket_points(
                user, start=start, end=end, tz=tz, granularity=granularity, columns=columns
            ) == selectors._bucket_points_orm(user, start, end, tz, granularity, columns)


def test_club_wide_daily_and_period_totals_match(athletes):
    by_tz = selectors.users_by_timezone(athletes)
    fields = tuple(selectors.SUM_FIELDS)
    in_sql = selectors.daily_totals_by_user(athletes, first=FIRST, last=LAST)
    assert rounded(in_sql) == rounded(selectors._daily_totals_orm(by_tz, FIRST, LAST, fields))
    assert sum(len(days) for days in in_sql.values()) > 60

    periods = [(date(2026, 11, 16), date(2026, 11, 22)), (date(2026, 10, 26), date(2026, 11, 1))]
    in_sql_periods = selectors.periods_totals_by_user(athletes, periods)
    assert rounded(in_sql_periods) == rounded(selectors._periods_totals_orm(athletes, periods))
    assert all(len(totals) == len(athletes) for totals in in_sql_periods)
