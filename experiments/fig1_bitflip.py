"""The paper's Fig. 1: bit-flipping success against the number of bits, DQN vs DQN+HER.

For each n, DQN (no relabelling) and DQN+HER (future, k = 4) train `--seeds`
seeds each as one vmapped program, all with the same env-step budget.
Success is any-step success on the intended goal, as in the paper.
Writes `results/fig1_bitflip/n<N>/` (config, meta, metrics per epoch),
`results/fig1_bitflip/summary.csv` (one row per n, variant and seed, of every n
run into the folder, earlier invocations' too) and the plot
`results/fig1_bitflip/fig1_bitflip.png`.

    python experiments/fig1_bitflip.py            # full size
    python experiments/fig1_bitflip.py --smoke    # seconds, for tests
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import tyro
from plot import plot_fig1, read_csv
from train import enable_compilation_cache

from her_jax import meta
from her_jax.config import TrainConfig
from her_jax.errors import exit_in_one_line
from her_jax.run import run
from her_jax.run_folder import has_run
from her_jax.train import checked_env

RESULTS = Path(__file__).resolve().parent.parent / "results"
VARIANTS = [("future", 4.0), ("none", 0.0)]
LABELS = {"future": "DQN+HER", "none": "DQN"}


@dataclasses.dataclass(frozen=True)
class Args:
    bits: tuple[int, ...] = (5, 10, 15, 20, 25, 30, 40, 50)
    """Numbers of bits to train on."""
    seeds: int = 5
    """Seeds per variant."""
    env_steps: int = 200_000
    """Env-step budget of every run, whatever n."""
    buffer_capacity: int = 0
    """Transitions per member's buffer (0: the whole run, up to 5,000,000); the run holds
    2 x seeds buffers of about 2n + 5 bytes per transition (bits in bytes, int32 actions)."""
    time_limit_s: float = 0.0
    """Stop each n's run after the first epoch past this many seconds (0: no limit); the
    summary then holds the env steps it reached, and with --checkpoint-every, --resume
    continues it."""
    checkpoint_every: int = -1
    """Save a checkpoint every N epochs (-1: never), so an interrupted run can --resume."""
    resume: bool = False
    """Continue each n's run from its newest checkpoint (runs already done train no more; n not
    yet started start)."""
    overwrite: bool = False
    """Start afresh in run folders that hold an earlier run's checkpoints, deleting them."""
    out_dir: Path = RESULTS / "fig1_bitflip"
    """Where the per-n runs, the summary and the plot go."""
    smoke: bool = False
    """A tiny version (one small n, two seeds, a few epochs) that checks the pipeline."""


def base_config(args: Args) -> TrainConfig:
    return TrainConfig(
        env="bitflip", algo="dqn", hidden=(256,), batch_size=128, random_eps=0.2, num_envs=16,
        cycles_per_epoch=10, updates_per_cycle=40, target_update_interval=40, eval_envs=200,
        seeds=args.seeds, total_env_steps=args.env_steps, checkpoint_every=args.checkpoint_every,
        buffer_capacity=args.buffer_capacity, time_limit_s=args.time_limit_s,
        overwrite=args.overwrite,
    )  # fmt: skip


def config_for(args: Args, n: int) -> TrainConfig:
    """The run of n bits, in `<out-dir>/n<N>/`; --resume starts it if it has not started."""
    out_dir = args.out_dir / f"n{n}"
    config = dataclasses.replace(
        base_config(args), n_bits=n, out_dir=out_dir, resume=args.resume and has_run(out_dir)
    )
    if args.smoke:
        config = dataclasses.replace(config, eval_envs=16, updates_per_cycle=8,
                                     target_update_interval=8, num_envs=4)  # fmt: skip
    return config


def checked_configs(args: Args) -> list[TrainConfig]:
    """Every n's config, each checked against its environment (e.g. n out of range) before
    the first n trains, so that a bad n late in `--bits` does not stop a long sweep."""
    configs = [config_for(args, n) for n in args.bits]
    for config in configs:
        checked_env(config)
    return configs


def summarise(n: int, metrics_csv: Path) -> list[dict]:
    """One row per (variant, seed) of the run of n bits: its last epoch's success and its best
    over training, from every epoch in the file (a resumed run's earlier ones too)."""
    rows = read_csv(metrics_csv)
    last = max(int(r["epoch"]) for r in rows)
    return [
        {
            "n_bits": n, "variant": LABELS[r["strategy"]], "seed": int(r["seed"]),
            "env_steps": int(r["env_steps"]), "success_rate": float(r["success_rate"]),
            "best_success_rate": max(
                float(q["success_rate"]) for q in rows
                if (q["strategy"], q["seed"]) == (r["strategy"], r["seed"])
            ),
            "wall_time_s": float(r["wall_time_s"]),
        }
        for r in rows
        if int(r["epoch"]) == last
    ]  # fmt: skip


def bit_runs(out_dir: Path) -> list[tuple[int, Path]]:
    """(n, metrics.csv) of every `n<N>/` run folder in `out_dir`, by n."""
    found = out_dir.glob("n*/metrics.csv")
    return sorted((int(m.parent.name[1:]), m) for m in found if m.parent.name[1:].isdigit())


def main(args: Args) -> Path:
    if args.smoke:
        args = dataclasses.replace(args, bits=(4,), seeds=2, env_steps=2_000)
    configs = checked_configs(args)
    meta.git_commit()  # the commit of the code this process starts with
    for config in configs:
        run(config, variants=VARIANTS, progress=not args.smoke)
    # every n run into this folder, earlier runs of other n too
    summary = [row for n, m in bit_runs(args.out_dir) for row in summarise(n, m)]
    path = args.out_dir / "summary.csv"
    meta.write_csv(path, summary)
    plot_fig1(path, args.out_dir / "fig1_bitflip.png")
    print(f"wrote {path} and {args.out_dir / 'fig1_bitflip.png'}")
    return path


if __name__ == "__main__":
    with exit_in_one_line():
        enable_compilation_cache()
        main(tyro.cli(Args))
