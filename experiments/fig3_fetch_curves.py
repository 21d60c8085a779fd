"""The paper's Fig. 3: intended-goal success against env steps, DDPG vs DDPG+HER.

For each task, DDPG (no relabelling) and DDPG+HER (future, k = 4) train
`--seeds` seeds each as one vmapped program. The plot shows the median over
seeds with the interquartile range shaded, against env steps.

Writes `results/fig3_fetch/<task>/` (config, meta, metrics per epoch) and
`results/fig3_fetch/fig3_fetch.png`.

    python experiments/fig3_fetch_curves.py                # GPU: push, slide, pick-and-place, reach
    python experiments/fig3_fetch_curves.py --smoke        # seconds on a CPU, for tests
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import tyro
from fetch_figures import RESULTS, SMOKE_TASK, CurveArgs, curve_config, train_curves
from plot import plot_fig3
from train import enable_compilation_cache

from her_jax import meta
from her_jax.errors import exit_in_one_line


@dataclasses.dataclass(frozen=True)
class Args(CurveArgs):
    tasks: tuple[str, ...] = ("fetch_push", "fetch_pick_and_place", "fetch_slide", "fetch_reach")
    """Tasks, one compiled program each."""
    out_dir: Path = RESULTS / "fig3_fetch"
    """Where the runs and the plot go."""


def main(args: Args) -> list[Path]:
    if args.smoke:
        args = dataclasses.replace(args, tasks=(SMOKE_TASK,), seeds=2)
    meta.git_commit()  # the commit of the code this process starts with
    paths = []
    for task in args.tasks:
        config = curve_config(task, args, args.out_dir / task)
        paths.append(train_curves(config, args.smoke))
    # every task run into this folder, earlier runs of other tasks too
    plot_fig3(sorted(args.out_dir.glob("*/metrics.csv")), args.out_dir / "fig3_fetch.png")
    print(f"wrote {args.out_dir / 'fig3_fetch.png'}")
    return paths


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
