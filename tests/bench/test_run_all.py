"""bench/run_all.py: the dated results table of `make bench`, with a failing benchmark among the others."""

from __future__ import annotations

import json
import os
import textwrap

from bench import run_all
from bench.summary import row

MACHINE = {"cpu": "2 × Test CPU", "memory": "1.0 GiB", "postgresql": "15.0", "python": "3.11.7", "platform": "Linux"}


def _script(root, name, body):
    path = root / "bench" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return run_all.Benchmark(name, f"bench/{name}.py", ("--size", "3"))


def _good(root):
    rows = [
        row("fast thing", figure=12.5, unit="s", reference="raw copy", reference_figure=10.0, target="≤ 60 s", met=True)
    ]
    return _script(
        root,
        "good",
        f"""
        import json, sys
        from pathlib import Path
        assert sys.argv[1:3] == ["--size", "3"]
        Path(sys.argv[sys.argv.index("--summary-json") + 1]).write_text({json.dumps(json.dumps(rows))})
        """,
    )


def _run(tmp_path, benchmarks):
    output = tmp_path / "docs" / "benchmarks.md"
    code = run_all.run(
        benchmarks, root=tmp_path, output=output, log_dir=tmp_path / "logs", machine=MACHINE, timeout=60,
        environment=dict(os.environ), echo=lambda *args, **kwargs: None,
    )  # fmt: skip
    return code, output.read_text(encoding="utf-8")


def test_a_run_writes_one_row_per_figure_with_its_reference_ratio_and_target(tmp_path):
    code, text = _run(tmp_path, [_good(tmp_path)])

    assert code == 0
    assert "| fast thing | 12.5 s | raw copy: 10.0 s | 1.25× | ≤ 60 s | met | [good](benchmarks/good.md) |" in text
    assert "targets met: 1 of 1." in text
    assert "2 × Test CPU, 1.0 GiB memory, PostgreSQL 15.0" in text
    assert "- `bench/good.py --size 3`" in text


def test_a_failing_benchmark_gets_a_failed_row_the_others_still_run_and_the_exit_is_non_zero(tmp_path):
    failing = _script(
        tmp_path,
        "broken",
        """
        def plan():
            raise ValueError("the planner lost its way\\nsecond line")
        plan()
        """,
    )
    code, text = _run(tmp_path, [failing, _good(tmp_path)])

    assert code == 1
    assert (
        "| broken | **FAILED**: ValueError: the planner lost its way | | | | | [broken](benchmarks/broken.md) |" in text
    )
    assert "| fast thing | 12.5 s |" in text
    assert "**failed: broken**" in text


def test_a_benchmark_that_exits_with_a_message_fails_with_that_message(tmp_path):
    exiting = _script(tmp_path, "exiting", 'raise SystemExit("wrk is missing: apt-get install -y wrk")\n')

    code, text = _run(tmp_path, [exiting])

    assert code == 1
    assert "**FAILED**: wrk is missing: apt-get install -y wrk |" in text


def test_a_benchmark_past_its_time_limit_is_stopped_and_fails(tmp_path):
    stuck = _script(tmp_path, "stuck", "import time\ntime.sleep(60)\n")
    output = tmp_path / "benchmarks.md"

    code = run_all.run(
        [stuck], root=tmp_path, output=output, log_dir=tmp_path / "logs", machine=MACHINE, timeout=1,
        environment=dict(os.environ), echo=lambda *args, **kwargs: None,
    )  # fmt: skip

    assert code == 1
    assert "| stuck | **FAILED**: timed out after 1 s |" in output.read_text(encoding="utf-8")


def test_a_missing_script_is_skipped_without_failing_the_run(tmp_path):
    code, text = _run(tmp_path, [run_all.Benchmark("fullstack", "bench/fullstack.py", ("--quick",))])

    assert code == 0
    assert "| fullstack | skipped: not present |" in text


def test_a_new_run_goes_on_top_and_earlier_runs_stay_below(tmp_path):
    output = tmp_path / "docs" / "benchmarks.md"
    output.parent.mkdir()
    output.write_text(run_all.HEADER + "\n## 2020-01-01 00:00 UTC\n\nan earlier run\n", encoding="utf-8")

    _code, text = _run(tmp_path, [_good(tmp_path)])

    assert text.count("# Benchmark results") == 1
    assert text.index("| fast thing |") < text.index("## 2020-01-01 00:00 UTC") < text.index("an earlier run")


def test_the_summary_rows_carry_the_ratio_to_the_reference():
    assert json.loads(json.dumps(row("x", figure=3.0, unit="s", reference="y", reference_figure=2.0)))["ratio"] == 1.5
    assert row("peak", figure=300, unit="MB", target="≤ 500 MB", met=True)["ratio"] is None
