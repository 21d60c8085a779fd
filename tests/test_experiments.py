"""Fig. 1, Fig. 6 (Fetch and bit-flipping) and the benchmarks run end to end at a tiny size.

The learning-curve figures (3 to 5) are tested in test_experiments_curves.py.
"""

import csv
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import pytest

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import bench_buffer  # noqa: E402
import bench_cycle  # noqa: E402
import bench_envs  # noqa: E402
import bench_train  # noqa: E402
import fetch_figures  # noqa: E402
import fig1_bitflip  # noqa: E402
import fig6_ablation  # noqa: E402
import fig6_bitflip  # noqa: E402
import plot  # noqa: E402

from her_jax import meta  # noqa: E402
from her_jax.errors import ConfigError  # noqa: E402


def test_fig1_bitflip_smoke(tmp_path):
    summary = fig1_bitflip.main(fig1_bitflip.Args(smoke=True, out_dir=tmp_path))
    with summary.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "n_bits", "variant", "seed", "env_steps", "success_rate", "best_success_rate",
        "wall_time_s",
    ]  # fmt: skip
    assert {r["variant"] for r in rows} == {"DQN", "DQN+HER"} and len(rows) == 4
    # the best success over training is at least the final one, per run
    assert all(float(r["best_success_rate"]) >= float(r["success_rate"]) for r in rows)
    assert (tmp_path / "fig1_bitflip.png").stat().st_size > 10_000
    assert (tmp_path / "n4" / "meta.json").exists()
    assert not (tmp_path / "n4" / "checkpoints").exists()  # figures keep no checkpoints
    # stopped by its time limit after one epoch, then resumed: the summary of the whole run,
    # beside an earlier invocation's run of another n in the folder
    stopped = fig1_bitflip.Args(
        smoke=True, out_dir=tmp_path / "stopped", time_limit_s=1e-9, checkpoint_every=1
    )
    shutil.copytree(tmp_path / "n4", tmp_path / "stopped" / "n6")
    fig1_bitflip.main(stopped)
    with (tmp_path / "stopped" / "n4" / "metrics.csv").open() as f:
        assert {r["epoch"] for r in csv.DictReader(f)} == {"1"}
    resumed = fig1_bitflip.main(dataclasses.replace(stopped, time_limit_s=0.0, resume=True))
    with resumed.open() as f:
        resumed_rows = list(csv.DictReader(f))
    assert [r | {"wall_time_s": ""} for r in resumed_rows if r["n_bits"] == "4"] == [
        r | {"wall_time_s": ""} for r in rows
    ]
    assert [r["n_bits"] for r in resumed_rows] == ["4"] * 4 + ["6"] * 4
    # plot.py redraws it, and with a second budget beside it, draws both in one plot too
    results = tmp_path / "results"
    for name, steps in (("fig1_bitflip", 2000), ("fig1_bitflip_big", 9000)):
        with summary.open() as f:
            rows = [r | {"env_steps": steps} for r in csv.DictReader(f)]
        meta.write_csv(results / name / "summary.csv", rows)
    drawn = plot.main(results)
    assert [p.relative_to(results).as_posix() for p in drawn] == [
        "fig1_bitflip/fig1_bitflip.png", "fig1_bitflip_big/fig1_bitflip.png",
        "fig1_bitflip/fig1_bitflip_budgets.png",
    ]  # fmt: skip
    assert all(p.stat().st_size > 10_000 for p in drawn)


def test_resume_starts_the_runs_not_yet_started(tmp_path):
    # a figure script stopped during one task or n resumes that one and starts the later ones
    started, fresh = tmp_path / "started", tmp_path / "fresh"
    started.mkdir()
    (started / "config.json").write_text("{}")
    curves = fetch_figures.CurveArgs(resume=True)
    assert fetch_figures.curve_config("fetch_push", curves, started).resume
    assert not fetch_figures.curve_config("fetch_push", curves, fresh).resume
    ablation = fig6_ablation.Args(resume=True, out_dir=tmp_path)  # runs in <out-dir>/<task>/
    assert fig6_ablation.config_for(ablation, "started").resume
    assert not fig6_ablation.config_for(ablation, "fresh").resume
    bits = fig1_bitflip.Args(resume=True, out_dir=tmp_path)
    (tmp_path / "n3").mkdir()
    (tmp_path / "n3" / "config.json").write_text("{}")
    assert fig1_bitflip.config_for(bits, 3).resume and not fig1_bitflip.config_for(bits, 5).resume


def test_bench_train_reports_time_to_success(tmp_path):
    argv = [
        "--preset",
        "bitflip",
        "--n-bits",
        "4",
        "--seeds",
        "3",
        "--total-env-steps",
        "2048",
        "--num-envs",
        "8",
        "--cycles-per-epoch",
        "4",
        "--updates-per-cycle",
        "8",
        "--target-update-interval",
        "8",
        "--eval-envs",
        "32",
        "--out-dir",
        str(tmp_path / "run"),
        "--label",
        "small",
    ]
    summary = bench_train.main(argv, results_dir=tmp_path)
    epochs = list(csv.DictReader((tmp_path / "bench_train_bitflip_cpu_small.csv").open()))
    assert int(epochs[0]["seeds"]) == 3
    hit = next((e for e in epochs if float(e["success_median"]) >= 0.9), None)
    expected = float(hit["wall_time_s"]) if hit else None
    assert summary["wall_time_s_to_0.9"] == expected
    # training stops at the first epoch whose median reaches 95 %, or runs the whole budget
    medians = [float(e["success_median"]) for e in epochs]
    reached = [m >= 0.95 for m in medians]
    assert reached.index(True) == len(epochs) - 1 if any(reached) else len(epochs) == 16
    assert summary["seeds"] == 3 and summary["compilation_cache"].startswith("off")
    assert (summary["updates_per_cycle"], summary["target_update_interval"]) == (8, 8)
    # the epoch is compiled before the first one runs, and that time is reported on its own
    assert 0 < summary["compile_s"] < float(epochs[0]["wall_time_s"])
    assert 0 < summary["setup_s"] + summary["compile_s"] < float(epochs[0]["wall_time_s"])
    # compile_s is its two halves, tracing (Python) and XLA's compile, and the rounding
    assert summary["trace_s"] > 0 and summary["xla_compile_s"] > 0
    halves = summary["trace_s"] + summary["xla_compile_s"]
    assert halves == pytest.approx(summary["compile_s"], abs=0.05)
    saved = json.loads((tmp_path / "bench_train_bitflip_cpu_small.json").read_text())
    assert saved["label"] == "small"
    with pytest.raises(ConfigError, match="--label needs a name"):
        bench_train.main(["--label", "a/b"], results_dir=tmp_path)


def test_bench_cycle_times_the_parts_of_an_epoch(tmp_path):
    # bench_train's test configuration: the epoch program is the one that test compiled
    argv = [
        "--preset", "bitflip", "--n-bits", "4", "--seeds", "3", "--total-env-steps", "2048",
        "--num-envs", "8", "--cycles-per-epoch", "4", "--updates-per-cycle", "8",
        "--target-update-interval", "8", "--eval-envs", "32", "--repeats", "2", "--label", "small",
    ]  # fmt: skip
    rows = bench_cycle.main(argv, results_dir=tmp_path)
    saved = list(csv.DictReader((tmp_path / "bench_cycle_bitflip_cpu_small.csv").open()))
    assert [r["part"] for r in saved] == ["rollout", "collect_and_learn", "rest", "epoch"]
    assert {"compile_s", "ms_per_call", "share_of_epoch", "device", "commit"} <= set(saved[0])
    parts = {r["part"]: r for r in rows}
    assert all(r["members"] == 3 and r["num_envs"] == 8 for r in rows)
    assert parts["rollout"]["calls_per_epoch"] == 4 and parts["epoch"]["share_of_epoch"] == 1.0
    # the parts add up to the epoch, and each was compiled and run
    total = sum(parts[p]["s_per_epoch"] for p in ("rollout", "collect_and_learn", "rest"))
    assert total == pytest.approx(parts["epoch"]["s_per_epoch"], abs=2e-3)
    assert all(parts[p]["ms_per_call"] > 0 and parts[p]["compile_s"] > 0
               for p in ("rollout", "collect_and_learn", "epoch"))  # fmt: skip
    # rates follow from the sizes: 3 members x 8 envs x 4 steps per rollout
    rollout = parts["rollout"]
    assert rollout["rate"] == pytest.approx(96 / (rollout["ms_per_call"] / 1e3), rel=1e-2)
    for bad in ("0", "two"):
        with pytest.raises(ConfigError, match="--repeats needs a whole number >= 1"):
            bench_cycle.main(["--repeats", bad], results_dir=tmp_path)


def test_fig6_ablation_smoke_in_two_parts(tmp_path, monkeypatch):
    # the sweep in two parts of 4 variants x 2 seeds each (the same program shape, so the
    # second compile is a cache hit), no HER in the first only
    first_part = fig6_ablation.Args(
        smoke=True, out_dir=tmp_path, strategies=("final", "future", "random"), ks=(1.0,),
        part="k1", checkpoint_every=1, stop_at_env_steps=200,
    )  # fmt: skip
    summary = fig6_ablation.main(first_part)  # stopped after the first of its 2 epochs
    first = summary.read_text()
    assert {r["env_steps"] for r in csv.DictReader(summary.open())} == {"200"}
    # resumed at its stop, or once finished, a part trains no more and summarises the same
    resumed = fig6_ablation.main(dataclasses.replace(first_part, resume=True))
    assert resumed.read_text() == first
    to_the_end = dataclasses.replace(first_part, resume=True, stop_at_env_steps=0)
    finished = fig6_ablation.main(to_the_end).read_text()
    assert finished != first
    assert fig6_ablation.main(to_the_end).read_text() == finished
    second_part = fig6_ablation.Args(
        smoke=True, out_dir=tmp_path, strategies=("final", "future", "episode", "random"),
        ks=(float("inf"),), part="kall", baseline=False,
    )  # fmt: skip
    fig6_ablation.main(second_part)
    rows = list(csv.DictReader(summary.open()))
    assert list(rows[0]) == [
        "task", "strategy", "k", "seed", "best_success", "mean_success", "final_success",
        "env_steps", "run",
    ]  # fmt: skip
    # both parts in one summary: 3 strategies at k = 1, 4 at k = all, no HER once; 2 seeds each
    assert len(rows) == (3 + 4 + 1) * 2
    assert {(r["strategy"], r["k"]) for r in rows} >= {("none", "0.0"), ("episode", "inf")}
    for r in rows:
        assert float(r["mean_success"]) <= float(r["best_success"]) <= 1.0
        assert int(r["env_steps"]) == 400
    # each member names the part that trained it, and its curves are drawn from there
    assert {r["run"] for r in rows} == {"fetch_reach/k1", "fetch_reach/kall"}
    assert {r["run"] for r in rows if r["strategy"] == "none"} == {"fetch_reach/k1"}
    for png in ("fig6_ablation.png", "fig6_curves.png", "fig6_batches.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    table = (tmp_path / "summary.md").read_text()  # both parts' k, no HER in one row
    assert "| k = 1 | all |" in table and table.count("| no HER |") == 1
    task = tmp_path / fig6_ablation.SMOKE_TASK
    assert sorted(p.parent.name for p in task.rglob("metrics.csv")) == ["k1", "kall"]
    # a part that would train members another part has is refused before it compiles
    again = dataclasses.replace(second_part, part="k4b", baseline=True, strategies=("future",))
    with pytest.raises(ValueError, match=r"trained in .*kall already.*choose other --ks"):
        fig6_ablation.main(again)
    baseline_again = dataclasses.replace(again, ks=(8.0,))
    with pytest.raises(ValueError, match=r"trained in .*k1 already.*pass --no-baseline"):
        fig6_ablation.main(baseline_again)
    with pytest.raises(ValueError, match="--part needs a name"):
        fig6_ablation.main(dataclasses.replace(second_part, part="../k8"))
    assert not (task / "k4b").exists()
    # a part with other settings than those already run is refused: its members would not
    # compare (here a success radius, as --paper-thresholds gives the object tasks)
    other_radius = dataclasses.replace(second_part, part="k8", ks=(8.0,), paper_thresholds=True)
    monkeypatch.setitem(fetch_figures.PAPER_THRESHOLDS, fig6_ablation.SMOKE_TASK, 0.07)
    with pytest.raises(ValueError, match=r"trained with distance_threshold 0.0, .* 0.07"):
        fig6_ablation.main(other_radius)
    assert not (task / "k8").exists()
    # so is a part that would train fewer env steps than the summary it is asked for counts
    too_short = dataclasses.replace(second_part, part="k8", ks=(8.0,), up_to_env_steps=600)
    with pytest.raises(ConfigError, match=r"--up-to-env-steps 600 is beyond the 400 env steps"):
        fig6_ablation.main(too_short)
    assert not (task / "k8").exists()

    # runs trained elsewhere join a summary without training: the two parts, summarised as
    # --extra-runs into another folder, give the same summary; a part named twice counts once
    def summary_only(out_dir: Path, *extra_runs: Path, up_to: int = 0) -> list[dict]:
        args = fig6_ablation.Args(
            summary_only=True, out_dir=out_dir, extra_runs=extra_runs, up_to_env_steps=up_to
        )
        return list(csv.DictReader(fig6_ablation.main(args).open()))

    elsewhere = summary_only(tmp_path / "elsewhere", task / "k1", task / "kall")
    assert [r | {"run": "../" + r["run"]} for r in rows] == elsewhere  # paths from its folder
    assert (tmp_path / "elsewhere" / "fig6_curves.png").exists()
    assert summary_only(tmp_path, task / "k1") == rows
    # a copy of a part is refused (its members would count twice), as is one trained with
    # other settings, and a folder with nothing to summarise
    shutil.copytree(task / "k1", tmp_path / "copy")
    with pytest.raises(ConfigError, match=r"seed 0 was trained in both .*k1 and .*copy"):
        summary_only(tmp_path, tmp_path / "copy")
    saved = json.loads((tmp_path / "copy" / "config.json").read_text())
    (tmp_path / "copy" / "config.json").write_text(json.dumps(saved | {"batch_size": 64}))
    with pytest.raises(ConfigError, match=r"copy trained with batch_size 64, .*k1 with 32"):
        summary_only(tmp_path, tmp_path / "copy")
    with pytest.raises(ConfigError, match="no config.json in"):
        summary_only(tmp_path, tmp_path / "missing")
    # more seeds of the same members, trained later in a folder of their own (--seed 2): the
    # summary counts them beside the first ones, and each curve pools its seeds from both
    shutil.copytree(task / "k1", tmp_path / "more_seeds")
    more = tmp_path / "more_seeds" / "metrics.csv"
    with more.open(newline="") as f:
        renumbered = [r | {"seed": str(int(r["seed"]) + 2)} for r in csv.DictReader(f)]
    with more.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(renumbered[0]))
        writer.writeheader()
        writer.writerows(renumbered)
    panels = {}
    with monkeypatch.context() as patched:
        patched.setattr(plot, "plot_curve_panels", lambda p, out_png, **_: panels.update(p))
        pooled = summary_only(tmp_path / "pooled", task / "k1", task / "kall", more.parent)
    assert len(pooled) == len(rows) + (3 + 1) * 2
    assert {r["seed"] for r in pooled if r["run"] == "../more_seeds"} == {"2", "3"}
    (curves,) = [c for title, c in panels.items() if title.startswith(f"{task.name}, future")]
    by_k = {label: [path.resolve() for path in paths] for label, paths, *_ in curves}
    k1, kall = (task / part / "metrics.csv" for part in ("k1", "kall"))
    assert by_k["k = 1"] == by_k["no HER"] == [k1.resolve(), more.resolve()]
    assert by_k["k = all"] == [kall.resolve()]
    with pytest.raises(ConfigError, match="no run with a finished epoch"):
        summary_only(tmp_path / "empty")
    # over a shorter budget every member counts its epochs up to it only (here the first of
    # two), and a budget that a member has not reached is refused
    first_epoch = {
        (r["strategy"], r["k"], r["seed"]): r["success_rate"]
        for r in fig6_ablation.read_metrics(task / "k1" / "metrics.csv")
        if r["env_steps"] == 200
    }
    capped = summary_only(tmp_path / "capped", task / "k1", up_to=200)
    assert len(capped) == len(first_epoch) == (3 + 1) * 2
    for r in capped:
        success = first_epoch[(r["strategy"], float(r["k"]), int(r["seed"]))]
        assert r["env_steps"] == "200"
        assert float(r["final_success"]) == pytest.approx(success, abs=1e-4)
        assert float(r["best_success"]) == float(r["mean_success"]) == float(r["final_success"])
    assert (tmp_path / "capped" / "fig6_curves.png").exists()
    fig, ax = plot.plt.subplots()  # the curves behind it stop there too
    curve = ("k = 1", task / "k1" / "metrics.csv", ("future", 1.0), "C0", "-")
    plot._draw_curve(ax, curve, up_to=200)
    plot._draw_curve(ax, curve)
    assert [list(line.get_xdata()) for line in ax.lines] == [[200], [200, 400]]
    plot.plt.close(fig)
    with pytest.raises(ConfigError, match=r"seed 0 in .*k1 stopped at 400 env steps, short of"):
        summary_only(tmp_path / "capped", task / "k1", up_to=600)
    with pytest.raises(ConfigError, match="--up-to-env-steps needs a number >= 0, got -1"):
        summary_only(tmp_path / "capped", task / "k1", up_to=-1)


def test_fig6_table_gives_the_median_best_and_mean_of_every_strategy_and_k():
    def member(strategy, k, best, mean):
        return {"task": "fetch_push", "strategy": strategy, "k": k, "best_success": best,
                "mean_success": mean}  # fmt: skip

    rows = [member("random", 1.0, 0.1, 0.05), member("none", 0.0, 0.2, 0.1)]
    rows += [member("future", 1.0, b, m) for b, m in ((1.0, 0.2), (0.5, 0.4), (0.8, 0.3))]
    rows += [member("future", float("inf"), 0.9, 0.6)]
    assert fig6_ablation.fig6_table(rows).splitlines() == [
        "| fetch_push | k = 1 | all |",
        "| --- | --- | --- |",
        "| future | 0.80 / 0.30 | 0.90 / 0.60 |",  # medians of 3 seeds; k = all of one
        "| random | 0.10 / 0.05 |  |",  # not trained with k = all
        "| no HER | 0.20 / 0.10 | |",
    ]


def test_fig6_bitflip_smoke(tmp_path):
    summary = fig6_bitflip.main(fig6_bitflip.Args(smoke=True, out_dir=tmp_path))
    rows = list(csv.DictReader(summary.open()))
    assert list(rows[0]) == [
        "task", "strategy", "k", "seed", "best_success", "mean_success", "final_success",
        "env_steps", "run",
    ]  # fmt: skip
    # 4 strategies x k in (1, all), and no HER; 2 seeds each, all in one program on 4 bits
    assert len(rows) == (4 * 2 + 1) * 2
    assert {r["task"] for r in rows} == {"bitflip, n = 4"}
    assert {(r["strategy"], r["k"]) for r in rows} >= {("none", "0.0"), ("random", "inf")}
    for r in rows:
        assert float(r["mean_success"]) <= float(r["best_success"]) <= 1.0
        assert int(r["env_steps"]) >= 2000
    assert {r["run"] for r in rows} == {"n4"}
    for png in ("fig6_ablation.png", "fig6_curves.png", "fig6_batches.png"):
        assert (tmp_path / png).stat().st_size > 10_000
    assert "| bitflip, n = 4 | k = 1 | all |" in (tmp_path / "summary.md").read_text()
    assert [p.parent.name for p in tmp_path.rglob("metrics.csv")] == ["n4"]
    # the summary alone, of the runs already there: the same rows, nothing trained again
    metrics = tmp_path / "n4" / "metrics.csv"
    trained = metrics.read_bytes()
    again = fig6_bitflip.main(fig6_bitflip.Args(summary_only=True, out_dir=tmp_path))
    assert list(csv.DictReader(again.open())) == rows
    assert metrics.read_bytes() == trained
    with pytest.raises(ConfigError, match="no n<N>/ run"):
        fig6_bitflip.main(fig6_bitflip.Args(summary_only=True, out_dir=tmp_path / "empty"))
    # a bad strategy or k is refused before anything compiles or is written
    # (an n out of range too, even after a good one that would train first)
    bad_cases = (
        ({"strategies": ("nearest",)}, "strategy"), ({"ks": (-1.0,)}, "k"),
        ({"bits": (4, 2000)}, "n_bits must be an int in"),
    )  # fmt: skip
    for bad, match in bad_cases:
        with pytest.raises(ConfigError, match=match):
            fig6_bitflip.main(fig6_bitflip.Args(out_dir=tmp_path / "bad", **bad))
    assert not (tmp_path / "bad").exists()


def test_fig6_ablation_sizes_and_the_papers_setup_reach_every_member():
    # CPU sizes, and the paper's radius and grasped starts where the task has them
    cpu = fig6_ablation.Args(
        batch_size=256, eval_envs=50, cycles_per_epoch=50, stop_at_env_steps=300_000
    )
    config = fig6_ablation.config_for(cpu, "fetch_push")
    assert (config.batch_size, config.eval_envs, config.cycles_per_epoch) == (256, 50, 50)
    assert config.stop_at_env_steps == 300_000
    assert (config.distance_threshold, config.grasped_start_prob) == (0.0, 0.0)
    paper = fig6_ablation.Args(paper_thresholds=True, paper_grasped_starts=True)
    setups = {
        task: (config.distance_threshold, config.grasped_start_prob)
        for task in paper.tasks
        for config in [fig6_ablation.config_for(paper, task)]
    }
    assert setups == {
        "fetch_push": (0.07, 0.0), "fetch_slide": (0.2, 0.0), "fetch_pick_and_place": (0.07, 0.5),
    }  # fmt: skip


def test_env_and_buffer_benchmarks_write_their_csvs(tmp_path):
    bench_envs.main(
        bench_envs.Args(tasks=("fetch_reach",), num_envs=(2,), repeats=1, out=tmp_path / "envs.csv")
    )
    (row,) = list(csv.DictReader((tmp_path / "envs.csv").open()))
    assert (row["task"], row["num_envs"], row["backend"]) == ("fetch_reach", "2", "cpu")
    assert float(row["env_steps_per_s"]) > 0 and row["commit"]
    bench_buffer.main(
        bench_buffer.Args(capacity=10_000, batch_sizes=(256,), repeats=2, out_dir=tmp_path)
    )
    rows = list(csv.DictReader((tmp_path / "bench_buffer_cpu.csv").open()))
    assert [(r["operation"], r["batch_transitions"]) for r in rows] == [
        ("add", "300"), ("sample_relabel_future", "256"),
    ]  # fmt: skip
    assert all(float(r["transitions_per_s"]) > 0 and r["backend"] == "cpu" for r in rows)


def test_a_run_without_her_joins_a_fig6_summary_as_no_her_whatever_its_k(tmp_path):
    # train.py keeps k's default (4) in a --strategy none run; no HER relabels nothing
    def metrics(folder, k):
        (tmp_path / folder).mkdir()
        with (tmp_path / folder / "metrics.csv").open("w", newline="") as f:
            csv.writer(f).writerows([
                ["seed", "epoch", "env_steps", "strategy", "k", "success_rate"],
                [0, 1, 100, "none", k, 0.1], [0, 2, 200, "none", k, 0.3],
            ])  # fmt: skip
        return tmp_path / folder

    run = metrics("ddpg", 4.0)
    (row,) = fig6_ablation.summarise("fetch_push", [run], tmp_path)
    assert (row["strategy"], row["k"], row["best_success"], row["mean_success"]) == (
        "none", 0.0, 0.3, 0.2,
    )  # fmt: skip
    assert "| no HER | 0.30 / 0.20 |" in fig6_ablation.fig6_table([row])
    # so it is the same member as a sweep's own no HER, and the two are not summarised twice
    with pytest.raises(ConfigError, match="strategy none, k 0, seed 0 was trained in both"):
        fig6_ablation.trained_members([run, metrics("sweep_baseline", 0.0)])
