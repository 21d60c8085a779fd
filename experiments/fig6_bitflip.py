"""Fig. 6's goal-strategy ablation on bit-flipping: a CPU-sized companion to the Fetch one.

The paper ablates strategies and k on the Fetch tasks (Fig. 6), which needs a GPU here.
Bit-flipping asks the same question in minutes on a CPU: for each n, every strategy in
(final, future, episode, random) with every k, plus no HER, trains `--seeds` seeds as ONE
vmapped program, with Fig. 1's DQN learner and one env-step budget. Each member is
summarised as in Fig. 6: its best and its mean any-step success on the intended goal over
training. The paper did not run this; it shows whether its Fetch findings (future best,
random worst) hold on the toy.

Writes `results/fig6_ablation_bitflip/n<N>/` (config, meta, metrics of every member),
`summary.csv` (one row per member, Fig. 6's columns), `fig6_ablation.png`,
`fig6_curves.png` and `fig6_batches.png`.

    python experiments/fig6_bitflip.py                 # n = 30, 5 seeds: about half an hour
    python experiments/fig6_bitflip.py --smoke         # seconds, for tests

Memory: every member keeps its own buffer (the whole run by default), about
`members x env_steps x (2n + 5)` bytes; size `--buffer-capacity` down for long budgets.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import fig1_bitflip
import tyro
from fig6_ablation import StrategySweep, summarise, write_summary
from train import enable_compilation_cache

from her_jax import meta
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.run import check_variants, run

RESULTS = Path(__file__).resolve().parent.parent / "results"


@dataclasses.dataclass(frozen=True)
class Args(StrategySweep):
    bits: tuple[int, ...] = (30,)
    """Numbers of bits, one compiled program each."""
    env_steps: int = 200_000
    """Env-step budget of every member, whatever n."""
    buffer_capacity: int = 0
    """Transitions per member's buffer (0: the whole run, up to 5,000,000)."""
    time_limit_s: float = 0.0
    """Stop each n's run after the first epoch past this many seconds (0: no limit)."""
    checkpoint_every: int = -1
    """Save a checkpoint every N epochs (-1: never), so an interrupted run can --resume."""
    resume: bool = False
    """Continue each n's run from its newest checkpoint (n not yet started start)."""
    overwrite: bool = False
    """Start afresh in run folders that hold an earlier run's checkpoints, deleting them."""
    out_dir: Path = RESULTS / "fig6_ablation_bitflip"
    """Where the per-n runs, the summary and the plot go."""
    summary_only: bool = False
    """Train nothing: summarise and draw the `n<N>/` runs already under --out-dir."""
    smoke: bool = False
    """A tiny version (4 bits, 2 seeds, k in 1 and all) that checks the pipeline."""


def fig1_args(args: Args) -> fig1_bitflip.Args:
    """Fig. 1's arguments for the same runs: its learner, sizes and folders (`n<N>/`)."""
    shared = {f.name: getattr(args, f.name) for f in dataclasses.fields(fig1_bitflip.Args)}
    return fig1_bitflip.Args(**shared)


def main(args: Args) -> Path:
    if args.smoke:
        smoke = {"bits": (4,), "seeds": 2, "env_steps": 2_000, "ks": (1.0, float("inf"))}
        args = dataclasses.replace(args, **smoke)
    if not args.summary_only:
        check_variants(args.variants())  # an unknown strategy or a bad k, before anything compiles
        configs = fig1_bitflip.checked_configs(fig1_args(args))  # every n, before any trains
        meta.git_commit()  # the commit of the code this process starts with
        for config in configs:
            run(config, variants=args.variants(), progress=not args.smoke)
    # every n run into this folder, earlier invocations' too
    summary = [
        row
        for n, metrics in fig1_bitflip.bit_runs(args.out_dir)
        for row in summarise(f"bitflip, n = {n}", [metrics.parent], args.out_dir)
    ]
    if not summary:
        raise ConfigError(f"no n<N>/ run with a finished epoch under {args.out_dir}")
    return write_summary(summary, args.out_dir)


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
