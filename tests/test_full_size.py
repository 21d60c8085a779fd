"""experiments/full_size.sh: every part's commands are valid command lines of their scripts.

The script is run with a stand-in `python3` on the PATH that only records its arguments, so
nothing trains; each recorded command is then parsed as its script parses it, which catches a
flag renamed in a script but not in the parts.
"""

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tyro

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = ROOT / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import bench_train  # noqa: E402
import fig3_fetch_curves  # noqa: E402
import fig4_single_goal  # noqa: E402
import fig5_shaped_rewards  # noqa: E402
import fig6_ablation  # noqa: E402

FIGURE_ARGS = {
    "fig3_fetch_curves.py": fig3_fetch_curves.Args,
    "fig4_single_goal.py": fig4_single_goal.Args,
    "fig5_shaped_rewards.py": fig5_shaped_rewards.Args,
    "fig6_ablation.py": fig6_ablation.Args,
}


def _script(*args: str, tmp_path: Path, failing_flag: str = "") -> subprocess.CompletedProcess:
    """Run full_size.sh with a python3 that records its calls (and fails under `failing_flag`)."""
    log = tmp_path / "calls.txt"
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir(exist_ok=True)
    fail = f'[ "$XLA_FLAGS" = "{failing_flag}" ] && exit 3\n' if failing_flag else ""
    fake.write_text(f'#!/bin/sh\necho "$XLA_FLAGS|$HER_JAX_CACHE|$*" >> {log}\n{fail}exit 0\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("XLA_FLAGS", None)
    env.pop("HER_JAX_CACHE", None)
    env.pop("PYTHON", None)
    return subprocess.run(
        ["bash", str(EXPERIMENTS / "full_size.sh"), *args],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _parts(tmp_path: Path) -> list[str]:
    listing = _script(tmp_path=tmp_path)
    assert listing.returncode == 0, listing.stderr
    return [line.split()[0] for line in listing.stdout.splitlines()[1:]]


def test_every_part_is_a_valid_command_line(tmp_path):
    parts = _parts(tmp_path)
    assert parts[:3] == ["fig4", "fig5-p1", "fig5-p2"] and parts[-2:] == ["speed", "speed2"]
    done = _script(*parts, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    calls = [line.split("|") for line in (tmp_path / "calls.txt").read_text().splitlines()]
    scripts = [shlex.split(args)[0] for _, _, args in calls]
    assert scripts[-1] == "experiments/plot.py"  # the figures are redrawn at the end
    assert scripts.count("experiments/bench_train.py") == 6
    bench_flags = [flags for flags, _, args in calls if "bench_train.py" in args]
    assert bench_flags[:4] == [
        "",  # the baseline, on the same card in the same job as the settings it is compared with
        "--xla_gpu_enable_triton_gemm=false",
        "--xla_gpu_autotune_level=1",
        "--xla_gpu_enable_command_buffer=+WHILE,+CONDITIONAL",
    ]
    for xla_flags, cache, args in calls[:-1]:
        script, *argv = shlex.split(args)
        name = Path(script).name
        if name == "bench_train.py":
            assert cache == "off"  # a cold start: compiling counts
            label, argv = bench_train.pop_label(argv)
            config = bench_train.benchmark_config(argv, label)
            assert config.time_limit_s > 0
            # its own run folder, per setting: not the preset's training run, nor each other's
            assert config.out_dir.name == f"bench_train_{bench_train.file_tag(config, label)}"
        else:
            assert not xla_flags
            parsed = tyro.cli(FIGURE_ARGS[name], args=argv)
            assert parsed.time_limit_s > 0, args  # every part ends within its job
    fig6_parts = [shlex.split(a) for _, _, a in calls if "fig6_ablation.py" in a]
    sweeps = {}  # task -> its parts' parsed arguments, in order
    for argv in fig6_parts:
        parsed = tyro.cli(fig6_ablation.Args, args=argv[1:])
        (task,) = parsed.tasks
        sweeps.setdefault(task, []).append((argv[argv.index("--part") + 1], parsed))
    assert list(sweeps) == ["fetch_push", "fetch_pick_and_place", "fetch_slide"]
    for task, parts in sweeps.items():
        assert [part for part, _ in parts] == ["k1", "k2", "k4", "k8", "k16", "kall"]
        assert [a.ks for _, a in parts] == [(k,) for k in (1.0, 2.0, 4.0, 8.0, 16.0, float("inf"))]
        assert [a.baseline for _, a in parts] == [True] + [False] * 5  # no HER once per task
        # every part of a sweep alike (or the later ones would be refused), pick's grasped
        assert {a.paper_grasped_starts for _, a in parts} == {task == "fetch_pick_and_place"}
    # pick-and-place's curves in the paper's setup, half of its training starts grasped
    (pick,) = [shlex.split(a) for _, _, a in calls if "fig3_fetch_curves.py" in a and "pick" in a]
    assert tyro.cli(fig3_fetch_curves.Args, args=pick[1:]).paper_grasped_starts


@pytest.mark.parametrize("bad", [["nope"], ["fig4", "fig-4"]])
def test_an_unknown_part_is_refused_before_anything_runs(tmp_path, bad):
    done = _script(*bad, tmp_path=tmp_path)
    assert done.returncode == 2 and "unknown part" in done.stderr
    assert not (tmp_path / "calls.txt").exists()


def test_a_compiler_setting_that_fails_does_not_stop_the_others(tmp_path):
    # e.g. a flag this jax's XLA does not know: that run fails, the next settings still run
    done = _script("speed", tmp_path=tmp_path, failing_flag="--xla_gpu_autotune_level=1")
    assert done.returncode == 0 and "autotune1 failed (exit 3)" in done.stderr
    flags = [line.split("|")[0] for line in (tmp_path / "calls.txt").read_text().splitlines()]
    assert flags[-2] == "--xla_gpu_enable_command_buffer=+WHILE,+CONDITIONAL"
