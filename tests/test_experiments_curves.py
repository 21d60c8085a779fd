"""The learning-curve figures (Fig. 3, 4, 5) run end to end at --smoke size and draw their plots;
watch.py plays a checkpointed policy of a smoke-sized run (the same compiled programs)."""

import csv
import dataclasses
import json
import shutil
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from flax import serialization
from PIL import Image

from her_jax.config import TrainConfig
from her_jax.policy import load_policy
from her_jax.run import run
from her_jax.run_folder import config_to_json
from her_jax.train import make_env

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
sys.path.insert(0, str(EXPERIMENTS))

import export_policy  # noqa: E402
import fetch_figures  # noqa: E402
import fig3_fetch_curves  # noqa: E402
import fig4_single_goal  # noqa: E402
import fig5_shaped_rewards  # noqa: E402
import plot  # noqa: E402
import watch  # noqa: E402

CURVE_COLUMNS = (
    "seed", "epoch", "env_steps", "updates", "wall_time_s", "success_rate", "success_final",
    "success_any", "final_goal_distance", "strategy", "k",
)  # fmt: skip


def test_fig3_fetch_curves_smoke(tmp_path):
    (metrics,) = fig3_fetch_curves.main(fig3_fetch_curves.Args(smoke=True, out_dir=tmp_path))
    rows = list(csv.DictReader(metrics.open()))
    assert set(CURVE_COLUMNS) <= set(rows[0])
    assert {(r["strategy"], r["seed"]) for r in rows} == {
        ("future", "0"), ("future", "1"), ("none", "0"), ("none", "1"),
    }  # fmt: skip
    # metres from the goal at the last step: reach's goals lie within 15 cm of its start per axis
    assert all(0 <= float(r["final_goal_distance"]) < 1 for r in rows)
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
    for folder in ("fig3_fetch_cpu/fetch_reach", "fig3_fetch_cpu/fetch_push",
                   "fig4_single_goal_cpu/fetch_reach", "fig5_shaped_cpu/fetch_reach/p2",
                   "train_push_cpu", "train_push_cpu_ddpg",
                   "train_push_cpu_reference_defaults", "train_pick_and_place_cpu",
                   "train_pick_and_place_cpu_grasped",
                   "train_pick_and_place_cpu_grasped_ddpg", "train_slide_cpu",
                   "train_slide_cpu_ddpg", "learners_push_cpu/td3"):  # fmt: skip
        (results / folder).mkdir(parents=True)
        for name in ("metrics.csv", "config.json"):
            shutil.copy(metrics.parent / name, results / folder / name)
    drawn = plot.main(results)
    assert [p.relative_to(results).as_posix() for p in drawn] == [
        "fig3_fetch_cpu/fig3_fetch.png", "fig4_single_goal_cpu/fig4_single_goal.png",
        "fig5_shaped_cpu/fig5_shaped.png", "learners_push_cpu/learners.png",
        "train_push_cpu/push_replay_ratio.png",
        "train_push_cpu_reference_defaults/push_defaults.png",
        "train_pick_and_place_cpu/pick_and_place.png", "train_slide_cpu/slide.png",
    ]  # fmt: skip
    assert all(p.stat().st_size > 10_000 for p in drawn)


def test_fig5_shaped_rewards_smoke(tmp_path, monkeypatch):
    # an earlier run of another task and exponent in the same folder is drawn too
    earlier = tmp_path / "fetch_push" / "p1"
    committed = EXPERIMENTS.parent / "results" / "fig5_shaped_cpu" / "fetch_push" / "p1"
    shutil.copytree(committed, earlier, ignore=shutil.ignore_patterns("checkpoints"))
    drawn = []

    def recording_plot(csvs, *rest):
        drawn.extend(csvs)
        plot.plot_fig5(csvs, *rest)

    monkeypatch.setattr(fig5_shaped_rewards, "plot_fig5", recording_plot)
    args = fig5_shaped_rewards.Args(smoke=True, out_dir=tmp_path, sparse_dir=tmp_path / "none")
    (metrics,) = fig5_shaped_rewards.main(args)
    assert metrics == tmp_path / "fetch_reach" / "p2" / "metrics.csv"
    assert drawn == [earlier / "metrics.csv", metrics]
    rows = list(csv.DictReader(metrics.open()))
    assert set(CURVE_COLUMNS) <= set(rows[0])
    assert {r["strategy"] for r in rows} == {"future", "none"}
    # every member (variant x seed) has a row for every epoch, its env steps growing
    epochs = sorted({int(r["epoch"]) for r in rows})
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= 2
    assert len(rows) == len(epochs) * 2 * 2  # 2 variants x 2 seeds
    per_epoch = int(rows[0]["env_steps"]) // int(rows[0]["epoch"])
    assert all(int(r["env_steps"]) == per_epoch * int(r["epoch"]) for r in rows)
    config = json.loads((metrics.parent / "config.json").read_text())
    assert (config["reward_type"], config["dense_exponent"]) == ("dense", 2.0)
    # shaped rewards are almost never exactly 0, so relabelled batches hold almost no reward-0
    assert max(float(r["batch_reward0_share"]) for r in rows) < 0.5
    assert (tmp_path / "fig5_shaped.png").stat().st_size > 10_000


def test_curve_config_takes_the_command_line_sizes(tmp_path):
    out = tmp_path / "out"  # a run has started there, so --resume continues it
    out.mkdir()
    (out / "config.json").write_text("{}")
    args = fetch_figures.CurveArgs(
        seeds=3, num_envs=16, batch_size=512, updates_per_cycle=80, env_steps=1000,
        eval_envs=50, checkpoint_every=2, resume=True, cycles_per_epoch=50,
        stop_at_env_steps=500, time_limit_s=60.0,
    )  # fmt: skip
    config = fetch_figures.curve_config("fetch_push", args, out, reward_type="dense")
    assert (config.seeds, config.num_envs, config.batch_size, config.updates_per_cycle) == (
        3, 16, 512, 80,
    )  # fmt: skip
    assert (config.total_env_steps, config.eval_envs, config.checkpoint_every) == (1000, 50, 2)
    assert (config.cycles_per_epoch, config.stop_at_env_steps, config.time_limit_s) == (50, 500, 60)
    assert config.resume and config.reward_type == "dense" and config.out_dir == out
    full = fetch_figures.curve_config("fetch_push", fetch_figures.CurveArgs(), Path("out"))
    assert full.total_env_steps == fetch_figures.BUDGETS["fetch_push"] == 3_000_000
    assert full.checkpoint_every == -1 and not full.resume and full.stop_at_env_steps == 0


def test_paper_thresholds_give_each_task_the_success_radius_of_the_papers_fig3():
    paper = fetch_figures.CurveArgs(paper_thresholds=True)
    radius = {
        task: fetch_figures.curve_config(task, paper, Path("out")).distance_threshold
        for task in fetch_figures.BUDGETS
    }
    assert radius == {  # 0: the task's own 5 cm (reach is not in the paper)
        "fetch_reach": 0.0, "fetch_push": 0.07, "fetch_pick_and_place": 0.07, "fetch_slide": 0.2,
    }  # fmt: skip
    default = fetch_figures.curve_config("fetch_slide", fetch_figures.CurveArgs(), Path("out"))
    assert default.distance_threshold == 0.0


def test_paper_grasped_starts_ease_pick_and_place_only():
    paper = fetch_figures.CurveArgs(paper_grasped_starts=True)
    share = {
        task: fetch_figures.curve_config(task, paper, Path("out")).grasped_start_prob
        for task in fetch_figures.BUDGETS
    }
    assert share == {
        "fetch_reach": 0.0, "fetch_push": 0.0, "fetch_pick_and_place": 0.5, "fetch_slide": 0.0,
    }  # fmt: skip
    for task in fetch_figures.BUDGETS:  # every task's run can be built, push's too
        make_env(fetch_figures.curve_config(task, paper, Path("out")))


def test_watch_plays_the_checkpointed_policy_of_one_member(tmp_path):
    # Fig. 3's smoke run, so the compiled epoch is shared; it keeps a checkpoint at the end
    args = fetch_figures.CurveArgs(smoke=True, seeds=2, checkpoint_every=0)
    config = fetch_figures.curve_config(fetch_figures.SMOKE_TASK, args, tmp_path)
    rows = run(config, variants=fetch_figures.CURVE_VARIANTS, progress=False)
    _, state, member = watch.load_member(tmp_path, 1)
    assert member == ("future", 4.0, 1)
    assert int(state.epoch) == rows[-1]["epoch"]  # the trained state, not a fresh one
    assert int(state.env_steps) == rows[-1]["env_steps"]
    episodes = watch.main(watch.Args(run_dir=tmp_path, member=1, episodes=2, width=64, height=48))
    assert [e["episode"] for e in episodes] == [0, 1]
    assert all(e["success"] == (e["final_distance_m"] < 0.05) for e in episodes)
    gif = Image.open(tmp_path / "policy.gif")
    assert gif.size == (64, 48) and gif.n_frames > 1
    with pytest.raises(ValueError, match=r"member must lie in \[0, 4\)"):
        watch.main(watch.Args(run_dir=tmp_path, member=4))
    # the same member exported without its buffer acts exactly as in the checkpoint
    exported = export_policy.main(export_policy.Args(run_dir=tmp_path, member=1))
    policy = load_policy(exported)
    assert policy.member == member and policy.env_steps == rows[-1]["env_steps"]
    trainer, _, _ = watch.load_member(tmp_path, 1)
    obs = jax.jit(jax.vmap(policy.env.reset))(jax.random.split(jax.random.key(5), 8)).obs
    np.testing.assert_array_equal(
        policy.act(obs), trainer.policy(state, explore=False)(obs, jax.random.key(0))
    )
    saved = serialization.msgpack_restore(exported.read_bytes())  # no buffer in it
    assert set(saved) == {"format", "config", "member", "env_steps", "agent", "norm"}
    with pytest.raises(ValueError, match="not a policy file"):
        load_policy(tmp_path / "config.json")
    bitflip = tmp_path / "bitflip"
    bitflip.mkdir()
    saved = config_to_json(dataclasses.replace(config, env="bitflip", algo="dqn"))
    (bitflip / "config.json").write_text(json.dumps(saved | {"variants": [["future", 4.0]]}))
    with pytest.raises(ValueError, match="has no picture"):
        watch.main(watch.Args(run_dir=bitflip))


def _run_folder(root: Path, name: str, strategies: list[str], **fields) -> Path:
    """A run folder under `root` with a push config changed by `fields` and one metrics row
    per strategy; its metrics.csv path."""
    folder = root / name
    folder.mkdir(parents=True)
    config = dataclasses.replace(TrainConfig(env="fetch_push"), **fields)
    variants = [[s, 4.0] for s in strategies]
    (folder / "config.json").write_text(json.dumps(config_to_json(config) | {"variants": variants}))
    rows = "".join(f"{s},0,500,0.5\n" for s in strategies)
    (folder / "metrics.csv").write_text("strategy,seed,env_steps,success_rate\n" + rows)
    return folder / "metrics.csv"


def test_fig4_and_5_references_are_runs_of_the_same_task_and_learner(tmp_path):
    def run_folder(name, strategies, **fields):
        return _run_folder(tmp_path, name, strategies, **fields)

    shaped = run_folder("shaped/fetch_push/p1", ["future", "none"], reward_type="dense", num_envs=2)
    gpu_sized = run_folder("fig3/fetch_push", ["future", "none"], num_envs=1024)
    other_task = run_folder("fig3/fetch_slide", ["future", "none"], env="fetch_slide", num_envs=2)
    dense = run_folder("dense", ["future"], reward_type="dense", num_envs=2)
    one_goal = run_folder("one_goal", ["future"], fixed_goal=(1.3, 0.7, 0.42), num_envs=2)
    old_order = run_folder("old_order", ["future"], ddpg_actor_critic="after_update", num_envs=2)
    same = run_folder("train_push", ["future"], num_envs=2)
    candidates = [gpu_sized, other_task, dense, one_goal, tmp_path / "missing.csv", old_order, same]
    # only the sparse, many-goal run of the same task and learner, and only its strategies
    assert plot._reference(candidates, shaped, ", sparse") == [
        ("DDPG+HER (future, k=4), sparse", same, "future", "C0", "--")
    ]
    assert plot._reference(candidates[:-1], shaped, ", sparse") == []
    plot.plot_fig5([shaped], tmp_path / "fig5.png", candidates)
    assert (tmp_path / "fig5.png").stat().st_size > 10_000


def test_the_learners_plot_takes_ddpg_from_a_run_of_the_same_task_and_sizes(tmp_path, monkeypatch):
    td3 = _run_folder(tmp_path, "learners/td3", ["future"], algo="td3", num_envs=2)
    sac = _run_folder(tmp_path, "learners/sac", ["future"], algo="sac", num_envs=2)
    gpu_sized = _run_folder(tmp_path, "train_push", ["future"], num_envs=1024)
    other_td3 = _run_folder(tmp_path, "train_push_td3", ["future"], algo="td3", num_envs=2)
    same = _run_folder(tmp_path, "train_push_cpu", ["future"], num_envs=2)
    panels = {}
    monkeypatch.setattr(plot, "plot_curve_panels", lambda p, out_png: panels.update(p))
    plot.plot_learners([sac, td3], tmp_path / "learners.png", [gpu_sized, other_td3, same])
    ((title, curves),) = panels.items()
    assert title.startswith("fetch_push, learners with HER (future, k = 4)")
    assert [(label, path, style) for label, path, _, _, style in curves] == [
        ("SAC+HER", sac, "-"), ("TD3+HER", td3, "-"),
        ("DDPG+HER, train_push_cpu", same, "--"),
    ]  # fmt: skip
    # a folder with a DDPG run of its own draws no other; without a match, none is drawn
    panels.clear()
    ddpg = _run_folder(tmp_path, "learners/ddpg_reference_defaults", ["future"], num_envs=2)
    plot.plot_learners([ddpg, td3], tmp_path / "learners.png", [same])
    ((_, curves),) = panels.items()
    assert [c[0] for c in curves] == ["DDPG+HER, ddpg_reference_defaults", "TD3+HER"]
    panels.clear()
    plot.plot_learners([td3], tmp_path / "learners.png", [gpu_sized])
    ((_, curves),) = panels.items()
    assert [c[0] for c in curves] == ["TD3+HER"]
    # SAC's exploration other than the default names the curve
    panels.clear()
    explore = _run_folder(
        tmp_path, "learners/sac_explore", ["future"], algo="sac", num_envs=2,
        sac_target_entropy=0.0, sac_random_eps=0.3,
    )  # fmt: skip
    plot.plot_learners([sac, explore], tmp_path / "learners.png", [])
    ((_, curves),) = panels.items()
    assert [c[0] for c in curves] == ["SAC+HER", "SAC+HER, target entropy 0, 30 % random actions"]


def test_the_device_note_of_a_plot_wraps_inside_the_figure():
    import matplotlib.pyplot as plt

    commits = ", ".join(f"{i:08x}" for i in range(12))  # a run resumed across many commits
    note = f"cpu (x86_64, 2 cores), jax 0.10.2, commits {commits}"
    fig, ax = plt.subplots(figsize=(4, 3.2))
    ax.set(xlabel="env steps")
    plot._layout_with_note(fig, note)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (text,) = fig.texts
    box = text.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= fig.bbox.x1  # no commit runs off the right edge
    assert text.get_text().replace("\n", " ") == note  # every commit is there
    label = ax.xaxis.label.get_window_extent(renderer)
    assert box.y1 <= label.y0  # the axes leave the note its lines
    plt.close(fig)


def test_a_curve_draws_the_median_over_seeds_of_the_column_asked_for(tmp_path):
    import matplotlib.pyplot as plt

    path = tmp_path / "metrics.csv"
    columns = ["seed", "env_steps", "strategy", "k", "success_rate", "batch_reward0_share"]
    rows = [
        # three seeds at two evaluations; a no-HER member at k = 0 that must not be drawn
        [0, 100, "future", 4, 0.1, 0.80], [1, 100, "future", 4, 0.3, 0.70],
        [2, 100, "future", 4, 0.2, 0.90], [0, 200, "future", 4, 0.5, 0.60],
        [1, 200, "future", 4, 0.9, 0.40], [2, 200, "future", 4, 0.7, 0.50],
        [0, 100, "none", 0, 0.0, 0.05], [0, 200, "none", 0, 0.0, 0.05],
    ]  # fmt: skip
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([columns, *rows])
    fig, ax = plt.subplots()
    curve = ("k = 4", path, ("future", 4.0), "C0", "-")
    plot._draw_curve(ax, curve, "batch_reward0_share")
    plot._draw_curve(ax, curve)
    (shares, success) = ax.lines
    assert list(shares.get_xdata()) == [100, 200]
    np.testing.assert_allclose(shares.get_ydata(), [0.80, 0.50])
    np.testing.assert_allclose(success.get_ydata(), [0.2, 0.7])  # success unless told
    plt.close(fig)


def test_a_curve_pools_the_seeds_of_one_variant_trained_in_separate_runs(tmp_path):
    import matplotlib.pyplot as plt

    columns = ["seed", "env_steps", "strategy", "k", "success_rate", "batch_reward0_share"]
    first, more = tmp_path / "a" / "metrics.csv", tmp_path / "b" / "metrics.csv"
    for path, rows in (
        # seeds 0 and 1 in one run, seeds 2 and 3 (--seed 2) in another, with another k
        (first, [[0, 100, "random", 1, 0.1, 0.2], [1, 100, "random", 1, 0.2, 0.2]]),
        (more, [[2, 100, "random", 1, 0.8, 0.2], [3, 100, "random", 1, 0.9, 0.2],
                [2, 100, "random", 4, 0.0, 0.2]]),
    ):  # fmt: skip
        path.parent.mkdir()
        with path.open("w", newline="") as f:
            csv.writer(f).writerows([columns, *rows])
    fig, ax = plt.subplots()
    plot._draw_curve(ax, ("k = 1", (first, more), ("random", 1.0), "C0", "-"))
    plot._draw_curve(ax, ("k = 1", first, ("random", 1.0), "C0", "-"))
    (pooled, alone) = ax.lines
    np.testing.assert_allclose(pooled.get_ydata(), [0.5])  # median of 0.1, 0.2, 0.8, 0.9
    np.testing.assert_allclose(alone.get_ydata(), [0.15])
    plt.close(fig)
