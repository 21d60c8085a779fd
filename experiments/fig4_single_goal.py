"""The paper's Fig. 4: one goal for every episode, DDPG vs DDPG+HER.

Does HER help when only one goal matters? Every episode of every run gets
the same desired goal: one draw from the task's own goal distribution with
the key `--goal-seed`, recorded as `fixed_goal` in the run's config.json.
The object still starts at a random place. The learner and budget are Fig.
3's, so the plot draws Fig. 3's multi-goal curves of the same task dashed
beside these, where that run exists.

Writes `results/fig4_single_goal/<task>/` (config, meta, metrics per epoch)
and `results/fig4_single_goal/fig4_single_goal.png`.

    python experiments/fig4_single_goal.py             # GPU: push
    python experiments/fig4_single_goal.py --smoke     # seconds on a CPU, for tests
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import tyro
from fetch_figures import RESULTS, SMOKE_TASK, CurveArgs, curve_config, train_curves
from plot import plot_fig4
from train import enable_compilation_cache

from her_jax import envs, meta
from her_jax.errors import exit_in_one_line


@dataclasses.dataclass(frozen=True)
class Args(CurveArgs):
    tasks: tuple[str, ...] = ("fetch_push",)
    """Fetch tasks, one compiled program each."""
    goal_seed: int = 0
    """Key of the one goal draw per task."""
    out_dir: Path = RESULTS / "fig4_single_goal"
    """Where the runs and the plot go."""
    multi_goal_dir: Path = RESULTS / "fig3_fetch"
    """Fig. 3's runs, drawn dashed for comparison where one of `<dir>/*/metrics.csv` trained
    the same task with the same learner."""


def single_goal(task: str, goal_seed: int) -> tuple[float, float, float]:
    """One desired goal of `task`, drawn from its goal distribution."""
    goal = envs.make(task).sample_goal(jax.random.key(goal_seed))
    x, y, z = (round(float(v), 4) for v in goal)
    return x, y, z


def main(args: Args) -> list[Path]:
    if args.smoke:
        args = dataclasses.replace(args, tasks=(SMOKE_TASK,), seeds=2)
    meta.git_commit()  # the commit of the code this process starts with
    paths = []
    for task in args.tasks:
        goal = single_goal(task, args.goal_seed)
        print(f"{task}: the single goal is {goal}")
        config = curve_config(task, args, args.out_dir / task, fixed_goal=goal)
        paths.append(train_curves(config, args.smoke))
    out_png = args.out_dir / "fig4_single_goal.png"
    # every task run into this folder, earlier runs of other tasks too
    drawn = sorted(args.out_dir.glob("*/metrics.csv"))
    plot_fig4(drawn, out_png, sorted(args.multi_goal_dir.glob("*/metrics.csv")))
    print(f"wrote {out_png}")
    return paths


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
