"""The digest's cadence: the schedule read backwards (cadence.py), DST included."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syndicate.config.cadence import digest_is_due, next_firing, previous_firing

JAKARTA = ZoneInfo("Asia/Jakarta")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("expr", "now", "expected"),
    [
        ("0 7 * * *", datetime(2026, 11, 30, 12, 0), datetime(2026, 11, 30, 7, 0)),
        ("0 7 * * *", datetime(2026, 11, 30, 6, 59), datetime(2026, 11, 29, 7, 0)),
        ("0 7 * * *", datetime(2026, 11, 30, 7, 0), datetime(2026, 11, 30, 7, 0)),  # inclusive
        ("*/15 * * * *", datetime(2026, 11, 30, 12, 7), datetime(2026, 11, 30, 12, 0)),
        # crontab weekdays: 0 = Sunday (APScheduler alone would read it as Monday)
        ("0 7 * * 0", datetime(2026, 11, 30, 12, 0), datetime(2026, 11, 29, 7, 0)),
        ("0 7 * * 1", datetime(2026, 11, 30, 12, 0), datetime(2026, 11, 30, 7, 0)),
        ("0 0 29 2 *", datetime(2026, 11, 30, 12, 0), datetime(2024, 2, 29, 0, 0)),
    ],
)
def test_previous_firing_is_the_start_of_the_current_period(expr, now, expected):
    found = previous_firing(expr, JAKARTA, now.replace(tzinfo=JAKARTA))
    assert found == expected.replace(tzinfo=JAKARTA)


def test_the_repeated_hour_at_the_end_of_dst_is_one_period():
    # 2026-11-01 in New York: 01:00-01:59 happens twice (EDT, then EST). A daily 01:30 digest
    # fires at 01:30 EDT and again at 01:30 EST; both are the same day's period.
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)  # fold=0: EDT
    for now in (
        datetime(2026, 11, 1, 1, 45, tzinfo=NEW_YORK),  # EDT
        datetime(2026, 11, 1, 1, 45, tzinfo=NEW_YORK, fold=1),  # EST, after the 2nd firing
        datetime(2026, 11, 1, 9, 0, tzinfo=NEW_YORK),
    ):
        found = previous_firing("30 1 * * *", NEW_YORK, now)
        assert found.astimezone(UTC) == first.astimezone(UTC)
    # So a digest made after the first firing is not due again after the second.
    made = datetime(2026, 11, 1, 1, 40, tzinfo=NEW_YORK)
    due, why = digest_is_due(
        "30 1 * * *", NEW_YORK, datetime(2026, 11, 1, 1, 50, tzinfo=NEW_YORK, fold=1), made
    )
    assert not due and "next due 2026-11-02 01:30" in why


def test_due_rule():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=JAKARTA)
    assert digest_is_due("0 7 * * *", JAKARTA, now, None) == (True, "first digest")
    due, why = digest_is_due("0 7 * * *", JAKARTA, now, now - timedelta(hours=2))
    assert not due and "next due 2026-12-01 07:00" in why
    due, why = digest_is_due("0 7 * * *", JAKARTA, now, now - timedelta(hours=6))
    assert due and "2026-11-30 07:00" in why
    # A digest stored with another offset (UTC) compares by the instant, not the wall clock.
    made_utc = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # = 07:30 in Jakarta
    assert digest_is_due("0 7 * * *", JAKARTA, now, made_utc)[0] is False


def test_next_firing_is_strictly_after_now():
    at_seven = datetime(2026, 11, 30, 7, 0, tzinfo=JAKARTA)
    assert next_firing("0 7 * * *", JAKARTA, at_seven) == at_seven + timedelta(days=1)


def test_digest_due_gives_the_cadence_verdict_for_the_waiting_articles(site):
    # Articles that wait for tomorrow's digest are not due before the firing, are due at it,
    # and another schedule is another verdict.
    from syndicate.config import load_config
    from syndicate.digest.due import digest_due
    from syndicate.run import pipeline
    from syndicate.store.sqlite import open_store

    config = load_config(site / "config.toml")  # schedule.digest "0 7 * * *", Jakarta
    made = datetime(2026, 11, 30, 8, 0, tzinfo=JAKARTA)
    pipeline.run(config, digest="now", now=made)  # the sample's digest
    conn = open_store(config.db_path)
    try:
        noon = datetime(2026, 11, 30, 12, 0, tzinfo=JAKARTA)
        assert digest_due(conn, config, noon) == (False, "no new articles since the last digest")
    finally:
        conn.close()
    (site / "articles" / "kedua.txt").write_text("Kedua\n\nBerita kedua.\n", encoding="utf-8")
    pipeline.run(config, digest="never", now=made)
    conn = open_store(config.db_path)
    try:
        due, why = digest_due(conn, config, noon)
        assert due is False and "next due 2026-12-01 07:00 WIB" in why
        evening = datetime(2026, 12, 1, 6, 59, tzinfo=JAKARTA)
        assert digest_due(conn, config, evening)[0] is False
        due, why = digest_due(conn, config, datetime(2026, 12, 1, 7, 0, tzinfo=JAKARTA))
        assert due is True and why.startswith("due since 2026-12-01 07:00")
        hourly = config.model_copy(
            update={"schedule": config.schedule.model_copy(update={"digest": "0 * * * *"})}
        )
        due, why = digest_due(conn, hourly, noon)
        assert due is True and why.startswith("due since 2026-11-30 12:00")
    finally:
        conn.close()
