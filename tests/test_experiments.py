"""Every paper-figure script runs end to end at its --smoke size and draws its plot."""

import csv
import dataclasses
import json
import shutil
import sys
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import bench_train  # noqa: E402
import fetch_figures  # noqa: E402
import fig1_bitflip  # noqa: E402
import fig3_fetch_curves  # noqa: E402
import fig4_single_goal  # noqa: E402
import fig5_shaped_rewards  # noqa: E402
import fig6_ablation  # noqa: E402
import plot  # noqa: E402


def test_fig1_bitflip_smoke(tmp_path):
    summary = fig1_bitflip.main(fig1_bitflip.Args(smoke=True, out_dir=tmp_path))
    with summary.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "n_bits", "variant", "seed", "env_steps", "success_rate", "best_success_rate",
        "wall_time_s",
    ]  # fmt: skip
    assert {r["variant"] for r in rows} == {"DQN", "DQN+HER"} and len(rows) == 4
    assert all(0.0 <= float(r["success_rate"]) <= 1.0 for r in rows)
    assert (tmp_path / "fig1_bitflip.png").stat().st_size > 10_000
    assert (tmp_path / "n4" / "meta.json").exists()
    assert not (tmp_path / "n4" / "checkpoints").exists()  # figures keep no checkpoints
    # plot.py redraws it, and with a second budget beside it, draws both in one plot too
    results = tmp_path / "results"
    for name, steps in (("fig1_bitflip", 2000), ("fig1_bitflip_big", 9000)):
        (results / name).mkdir(parents=True)
        with summary.open() as f:
            rows = [r | {"env_steps": steps} for r in csv.DictReader(f)]
        with (results / name / "summary.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    drawn = plot.main(results)
    assert [p.relative_to(results).as_posix() for p in drawn] == [
        "fig1_bitflip/fig1_bitflip.png", "fig1_bitflip_big/fig1_bitflip.png",
        "fig1_bitflip/fig1_bitflip_budgets.png",
    ]  # fmt: skip
    assert all(p.stat().st_size > 10_000 for p in drawn)


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
    ]
    summary = bench_train.main(argv, results_dir=tmp_path)
    epochs = list(csv.DictReader((tmp_path / "bench_train_bitflip_cpu.csv").open()))
    assert int(epochs[0]["seeds"]) == 3
    hit = next((e for e in epochs if float(e["success_median"]) >= 0.9), None)
    expected = float(hit["wall_time_s"]) if hit else None
    assert summary["wall_time_s_to_0.9"] == expected
    # training stops at the first epoch whose median reaches 95 %, or runs the whole budget
    medians = [float(e["success_median"]) for e in epochs]
    reached = [m >= 0.95 for m in medians]
    assert reached.index(True) == len(epochs) - 1 if any(reached) else len(epochs) == 16
    assert summary["seeds"] == 3 and summary["compilation_cache"].startswith("off")
    assert (tmp_path / "bench_train_bitflip_cpu.json").exists()


def test_fig6_ablation_smoke(tmp_path):
    args = fig6_ablation.Args(smoke=True, out_dir=tmp_path, checkpoint_every=1)
    summary = fig6_ablation.main(args)
    first = summary.read_text()
    # resuming a finished run trains no more and summarises the same epochs
    resumed = fig6_ablation.main(dataclasses.replace(args, resume=True))
    assert resumed.read_text() == first
    rows = list(csv.DictReader(summary.open()))
    assert list(rows[0]) == [
        "task", "strategy", "k", "seed", "best_success", "mean_success", "final_success",
        "env_steps",
    ]  # fmt: skip
    # 3 strategies x 2 k + no HER, 2 seeds each, all from one program
    assert len(rows) == (3 * 2 + 1) * 2
    assert {(r["strategy"], r["k"]) for r in rows} >= {("none", "0.0"), ("future", "4.0")}
    for r in rows:
        assert float(r["mean_success"]) <= float(r["best_success"]) <= 1.0
    assert (tmp_path / "fig6_ablation.png").stat().st_size > 10_000
    assert len(list((tmp_path / "fetch_reach").glob("metrics.csv"))) == 1


CURVE_COLUMNS = (
    "seed", "epoch", "env_steps", "updates", "wall_time_s", "success_rate", "success_final",
    "success_any", "strategy", "k",
)  # fmt: skip


def test_fig3_fetch_curves_smoke(tmp_path):
    (metrics,) = fig3_fetch_curves.main(fig3_fetch_curves.Args(smoke=True, out_dir=tmp_path))
    rows = list(csv.DictReader(metrics.open()))
    assert set(CURVE_COLUMNS) <= set(rows[0])
    assert {(r["strategy"], r["seed"]) for r in rows} == {
        ("future", "0"), ("future", "1"), ("none", "0"), ("none", "1"),
    }  # fmt: skip
    assert (tmp_path / "fig3_fetch.png").stat().st_size > 10_000


def test_fig4_single_goal_smoke(tmp_path):
    args = fig4_single_goal.Args(
        smoke=True, out_dir=tmp_path / "fig4", multi_goal_dir=tmp_path / "none"
    )
    (metrics,) = fig4_single_goal.main(args)
    rows = list(csv.DictReader(metrics.open()))
    assert set(CURVE_COLUMNS) <= set(rows[0])
    assert {(r["strategy"], r["seed"]) for r in rows} == {
        ("future", "0"), ("future", "1"), ("none", "0"), ("none", "1"),
    }  # fmt: skip
    config = json.loads((metrics.parent / "config.json").read_text())
    goal = fig4_single_goal.single_goal("fetch_reach", 0)
    assert config["fixed_goal"] == list(goal)
    # a reach goal: within 0.15 m per axis of the initial gripper position
    assert max(abs(g - c) for g, c in zip(goal, (1.342, 0.749, 0.535), strict=True)) <= 0.15
    assert fig4_single_goal.single_goal("fetch_reach", 1) != goal
    assert (tmp_path / "fig4" / "fig4_single_goal.png").stat().st_size > 10_000
    # plot.py redraws every curve figure, Fig. 3's curves dashed beside Fig. 4's and 5's
    # (this run's own CSV stands in for each)
    results = tmp_path / "results"
    for folder in ("fig3_fetch_cpu/fetch_reach", "fig4_single_goal_cpu/fetch_reach",
                   "fig5_shaped_cpu/fetch_reach/p2"):  # fmt: skip
        (results / folder).mkdir(parents=True)
        shutil.copy(metrics, results / folder / "metrics.csv")
    drawn = plot.main(results)
    assert [p.relative_to(results).as_posix() for p in drawn] == [
        "fig3_fetch_cpu/fig3_fetch.png", "fig4_single_goal_cpu/fig4_single_goal.png",
        "fig5_shaped_cpu/fig5_shaped.png",
    ]  # fmt: skip
    assert all(p.stat().st_size > 10_000 for p in drawn)


def test_fig5_shaped_rewards_smoke(tmp_path):
    args = fig5_shaped_rewards.Args(smoke=True, out_dir=tmp_path, sparse_dir=tmp_path / "none")
    (metrics,) = fig5_shaped_rewards.main(args)
    assert metrics == tmp_path / "fetch_reach" / "p2" / "metrics.csv"
    rows = list(csv.DictReader(metrics.open()))
    assert set(CURVE_COLUMNS) <= set(rows[0])
    assert {r["strategy"] for r in rows} == {"future", "none"}
    assert all(0.0 <= float(r["success_rate"]) <= 1.0 for r in rows)
    config = json.loads((metrics.parent / "config.json").read_text())
    assert (config["reward_type"], config["dense_exponent"]) == ("dense", 2.0)
    # shaped rewards are almost never exactly 0, so relabelled batches hold almost no reward-0
    assert max(float(r["batch_reward0_share"]) for r in rows) < 0.5
    assert (tmp_path / "fig5_shaped.png").stat().st_size > 10_000


def test_curve_config_takes_the_command_line_sizes():
    args = fetch_figures.CurveArgs(
        seeds=3, num_envs=16, batch_size=512, updates_per_cycle=80, env_steps=1000,
        eval_envs=50, checkpoint_every=2, resume=True,
    )  # fmt: skip
    config = fetch_figures.curve_config("fetch_push", args, Path("out"), reward_type="dense")
    assert (config.seeds, config.num_envs, config.batch_size, config.updates_per_cycle) == (
        3, 16, 512, 80,
    )  # fmt: skip
    assert (config.total_env_steps, config.eval_envs, config.checkpoint_every) == (1000, 50, 2)
    assert config.resume and config.reward_type == "dense" and config.out_dir == Path("out")
    full = fetch_figures.curve_config("fetch_push", fetch_figures.CurveArgs(), Path("out"))
    assert full.total_env_steps == fetch_figures.BUDGETS["fetch_push"] == 3_000_000
    assert full.checkpoint_every == -1 and not full.resume
