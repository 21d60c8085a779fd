"""Train a goal-conditioned policy with HER.

    python experiments/train.py                          # DDPG+HER on fetch_reach, CPU-sized
    python experiments/train.py --preset bitflip         # DQN+HER, 16 bits
    python experiments/train.py --preset push --seeds 5  # GPU-sized push
    python experiments/train.py --preset push_cpu        # push on a CPU (hours)
    python experiments/train.py --help

A preset sets the defaults; any flag after it overrides them. `reach` (the
default) and `bitflip` are checked by the tests on a CPU. `push_cpu` is the
reference's single-worker loop (2 episodes, then 40 updates of batch 256: about
100 sampled transitions per collected one), which learns push on a 2-core CPU
in about an hour per 300,000 env steps and seed (results/train_push_cpu/). The
GPU presets (`push`, `slide`, `pick_and_place`) keep that replay ratio at
H100 size (1,024 environments, 1,200 updates of batch 4,096 per cycle: 96); `push`
reaches 95 % in 1.0 to 1.3e6 env steps per seed, 75.5 s from a cold start on an
H100 (results/README.md); the other two have not yet been trained on a GPU.
`pick_and_place` starts half of its training episodes with the cube grasped, the paper's
setup (evaluation always from the task's own start): with `push_cpu`'s learner that solved
the task by 450,000 env steps, where without it neither seed reached 0.9
(`--grasped-start-prob 0` trains from the task's own start only).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import jax
import tyro

from her_jax.config import TrainConfig
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.run import run

PRESETS: dict[str, TrainConfig] = {
    "reach": TrainConfig(),
    "bitflip": TrainConfig(
        env="bitflip", algo="dqn", n_bits=16, hidden=(256,), batch_size=128, random_eps=0.2,
        num_envs=16, cycles_per_epoch=10, total_env_steps=80_000, eval_envs=200,
        out_dir=Path("runs/bitflip"),
    ),
}  # fmt: skip

_GPU_OBJECT_TASK = TrainConfig(
    num_envs=1024, cycles_per_epoch=5, updates_per_cycle=1200, target_update_interval=40,
    batch_size=4096, eval_envs=1000, total_env_steps=3_000_000,
)  # fmt: skip
PRESETS |= {
    "push": dataclasses.replace(_GPU_OBJECT_TASK, env="fetch_push", out_dir=Path("runs/push")),
    "slide": dataclasses.replace(
        _GPU_OBJECT_TASK, env="fetch_slide", total_env_steps=5_000_000, out_dir=Path("runs/slide")
    ),
    "pick_and_place": dataclasses.replace(
        _GPU_OBJECT_TASK, env="fetch_pick_and_place", total_env_steps=5_000_000,
        grasped_start_prob=0.5, out_dir=Path("runs/pick_and_place"),
    ),
    "push_cpu": TrainConfig(
        env="fetch_push", seeds=2, num_envs=2, cycles_per_epoch=50, updates_per_cycle=40,
        target_update_interval=40, batch_size=256, eval_envs=50, total_env_steps=550_000,
        buffer_capacity=300_000, checkpoint_every=1, out_dir=Path("runs/push_cpu"),
    ),
}  # fmt: skip


def pop_option(argv: list[str], flag: str) -> tuple[str | None, list[str]]:
    """The value after `flag` (None if `flag` is absent, "" if no value follows) and the
    other arguments: for the script's own flags, which are not TrainConfig fields."""
    if flag not in argv:
        return None, argv
    i = argv.index(flag)
    value = argv[i + 1] if i + 1 < len(argv) else ""
    return value, argv[:i] + argv[i + 2 :]


def is_plain_name(text: str) -> bool:
    """Letters, digits, '-' and '_' only (and not empty): safe in a file or folder name."""
    return text.replace("_", "").replace("-", "").isalnum()


def parse(argv: list[str]) -> TrainConfig:
    preset, argv = pop_option(argv, "--preset")
    preset = "reach" if preset is None else preset
    if preset not in PRESETS:
        raise ConfigError(f"--preset needs one of: {', '.join(PRESETS)}")
    default = PRESETS[preset]
    return tyro.cli(TrainConfig, default=default, args=argv, description=__doc__)


def enable_compilation_cache(default: Path | None = None) -> None:
    """Reuse compiled programs across runs of the training and figure scripts (and the tests):
    in HER_JAX_CACHE, else `default`, else ~/.cache/her_jax/xla (HER_JAX_CACHE=off: compile
    every time)."""
    default = default or Path.home() / ".cache" / "her_jax" / "xla"
    where = os.environ.get("HER_JAX_CACHE", str(default))
    if where != "off":
        jax.config.update("jax_compilation_cache_dir", where)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def disable_compilation_cache() -> None:
    """For the benchmarks, whose times include compiling: no cache is read or written, not
    even one that JAX_COMPILATION_CACHE_DIR names."""
    jax.config.update("jax_enable_compilation_cache", False)


def main() -> None:
    config = parse(sys.argv[1:])
    enable_compilation_cache()
    rows = run(config)
    last = {}
    for row in rows:
        last[row["seed"]] = row
    for seed, row in last.items():
        print(
            f"seed {seed}: success_rate {row['success_rate']:.3f} after {row['env_steps']} env "
            f"steps, {row['wall_time_s']:.1f} s"
        )
    print(f"wrote {config.out_dir}/metrics.csv")


if __name__ == "__main__":
    with exit_in_one_line():
        main()
