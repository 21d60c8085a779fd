"""The paper's Fig. 5 (section 4.4): shaped rewards -|g - ag'|^p, DDPG vs DDPG+HER.

Does a shaped reward make the sparse problem easy, or HER unnecessary? Each
exponent p trains DDPG and DDPG+HER (future, k = 4) with the dense reward
`-|g - ag'|^p`, relabelled goals included (the reward is recomputed from the
same function). Success is still intended-goal success within 5 cm, so the
curves compare with Fig. 3's sparse ones, drawn dashed where that run exists.
The learner and budget are Fig. 3's; the reward is part of the environment, so
each exponent is its own compiled program.

Writes `results/fig5_shaped/<task>/p<p>/` (config, meta, metrics per epoch)
and `results/fig5_shaped/fig5_shaped.png`.

    python experiments/fig5_shaped_rewards.py            # GPU: push, p = 1 and 2
    python experiments/fig5_shaped_rewards.py --smoke    # seconds on a CPU, for tests
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import tyro
from fetch_figures import RESULTS, SMOKE_TASK, CurveArgs, curve_config, train_curves
from plot import plot_fig5
from train import enable_compilation_cache

from her_jax import meta
from her_jax.errors import ConfigError, exit_in_one_line


@dataclasses.dataclass(frozen=True)
class Args(CurveArgs):
    tasks: tuple[str, ...] = ("fetch_push",)
    """Fetch tasks."""
    exponents: tuple[float, ...] = (1.0, 2.0)
    """Exponents p of the shaped reward, one compiled program each."""
    out_dir: Path = RESULTS / "fig5_shaped"
    """Where the runs and the plot go."""
    sparse_dir: Path = RESULTS / "fig3_fetch"
    """Fig. 3's sparse-reward runs, drawn dashed where one of `<dir>/*/metrics.csv` trained the
    same task with the same learner."""


def main(args: Args) -> list[Path]:
    if any(p <= 0 for p in args.exponents):
        raise ConfigError(f"exponents must be > 0, got {args.exponents}")
    if args.smoke:
        args = dataclasses.replace(args, tasks=(SMOKE_TASK,), exponents=(2.0,), seeds=2)
    meta.git_commit()  # the commit of the code this process starts with
    paths = []
    for task in args.tasks:
        for p in args.exponents:
            out_dir = args.out_dir / task / f"p{p:g}"
            config = curve_config(task, args, out_dir, reward_type="dense", dense_exponent=p)
            paths.append(train_curves(config, args.smoke))
    out_png = args.out_dir / "fig5_shaped.png"
    # every task and exponent run into this folder, earlier runs of other ones too
    drawn = sorted(args.out_dir.glob("*/p*/metrics.csv"))
    plot_fig5(drawn, out_png, sorted(args.sparse_dir.glob("*/metrics.csv")))
    print(f"wrote {out_png}")
    return paths


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
