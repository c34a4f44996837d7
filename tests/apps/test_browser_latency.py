"""The browser benchmark's arithmetic (the browser run itself is in bench)."""

from bench import browser_latency


def _sample(total):
    return {
        "total": total,
        "export_upload": total - 60,
        "queue": 10,
        "handler": 20,
        "render": 30,
    }


def test_rows_give_percentiles_and_judge_only_the_draw_goal():
    samples = [_sample(t) for t in (100, 200, 300, 400, 500)]
    row = browser_latency._row("draw", samples)
    assert row["total_p50_ms"] == 300 and row["samples"] == 5
    assert row["total_p95_ms"] == 480 and row["handler_p50_ms"] == 20
    assert row["goal_met"] is False
    fast = browser_latency._row("draw", [_sample(t) for t in (100, 200)])
    assert fast["goal_met"] is True
    assert browser_latency._row("maps", samples)["goal_met"] is None


def test_timed_handler_records_start_and_end_even_on_failure():
    calls = []

    def boom():
        raise ValueError("refused")

    timed = browser_latency._timed(calls, boom)
    try:
        timed()
    except ValueError:
        pass
    assert len(calls) == 1 and calls[0][1] >= calls[0][0]
