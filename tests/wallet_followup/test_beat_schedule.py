"""The one beat schedule names only tasks that exist, and wakes each job when it should."""

from wallet_followup.celery import app


def schedule() -> dict:
    app.loader.import_default_modules()  # register the tasks as a worker would
    from wallet_followup.celery import _install_beat_schedule

    _install_beat_schedule(app)
    return app.conf.beat_schedule


def test_every_scheduled_task_is_registered():
    for entry in schedule().values():
        assert entry["task"] in app.tasks, entry["task"]


def test_the_case_digest_goes_out_at_half_past_eight_in_shanghai():
    entry = schedule()["send-case-digest"]

    assert entry["task"] == "surveys.send_case_digest"
    assert app.conf.timezone == "UTC"  # crontab hours are UTC: 00:30 UTC is 08:30 in Shanghai
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {30})


def test_reminders_and_expiry_run_on_beat():
    tasks = {entry["task"] for entry in schedule().values()}
    assert {"surveys.queue_due_reminders", "surveys.expire_unanswered"} <= tasks


def test_the_dashboard_rollups_are_refreshed_every_minute_and_a_late_tick_is_dropped():
    entry = schedule()["refresh-rollups"]

    assert entry["task"] == "analytics.refresh_rollups"
    assert entry["schedule"].total_seconds() == 60
    assert entry["options"]["expires"] == 60


def test_lost_imports_are_failed_and_the_api_log_is_purged_on_beat():
    tasks = {entry["task"] for entry in schedule().values()}
    assert {"imports.fail_stale_imports", "integrations.purge_api_calls"} <= tasks


def test_abandoned_claims_are_recovered_every_five_minutes_or_sooner_with_a_short_claim_timeout(settings):
    assert schedule()["recover-abandoned-claims"]["schedule"].total_seconds() == 300  # the default 10 min timeout

    settings.CLAIM_TIMEOUT_SECONDS = 30  # a fault scenario's: a killed worker's claims come back within 45 s
    assert schedule()["recover-abandoned-claims"]["schedule"].total_seconds() == 15


def test_beat_sends_a_heartbeat_to_each_queue():
    entries = [entry for entry in schedule().values() if entry.get("kwargs", {}).get("component", "").startswith("w")]
    assert sorted(entry["kwargs"]["component"] for entry in entries) == [
        "worker:analytics",
        "worker:dispatch",
        "worker:messages",
    ]
