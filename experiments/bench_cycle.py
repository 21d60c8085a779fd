"""Where an epoch's time goes: the parts of a training cycle, compiled and timed on their own.

An epoch is `cycles_per_epoch` cycles of (exploring rollout, then add +
normaliser + `updates_per_cycle` gradient steps) and one evaluation. This
script compiles each part as its own program, vmapped over the members just
as training runs them, times it after a warm-up call, and sets the sum beside
the whole epoch, so that one run says whether the environment or the learner
limits a configuration, and what each costs to compile. Writes
`results/bench_cycle_<env>_<cpu|gpu>[_<label>].csv`.

    python experiments/bench_cycle.py                     # the push preset, 5 seeds
    python experiments/bench_cycle.py --batch-size 8192 --updates-per-cycle 600 --label b8192
    python experiments/bench_cycle.py --preset reach --seeds 2 --num-envs 8
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import jax
from bench_train import benchmark_config, pop_label
from train import disable_compilation_cache, pop_option

from her_jax import meta
from her_jax.errors import ConfigError, exit_in_one_line
from her_jax.run import compile_epoch, init_states
from her_jax.sharding import member_sharding
from her_jax.train import make_train

RESULTS = Path(__file__).resolve().parent.parent / "results"


def median_seconds(call, repeats: int) -> float:
    """Median seconds of `repeats` calls of `call()` after one warm-up call."""
    jax.block_until_ready(call())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(call())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def compile_timed(fn, *args, **jit_options):
    """`jax.jit(fn)` compiled for `args`, and the seconds tracing plus compiling took."""
    t0 = time.perf_counter()
    compiled = jax.jit(fn, **jit_options).lower(*args).compile()
    return compiled, time.perf_counter() - t0


def main(argv: list[str], results_dir: Path = RESULTS) -> list[dict]:
    """Time the parts of the configuration `argv` describes (flags of `experiments/train.py`,
    `--preset push` and `--seeds 5` by default; `--repeats N` timed calls per part)."""
    label, argv = pop_label(argv)
    repeats, argv = pop_option(argv, "--repeats")
    repeats = repeats or "3"
    if not repeats.isdigit() or int(repeats) < 1:
        raise ConfigError(f"--repeats needs a whole number >= 1, got {repeats!r}")
    repeats = int(repeats)
    config = benchmark_config(argv)
    trainer = make_train(config)  # validates before anything compiles
    info = meta.run_metadata()
    members = config.seeds
    sharding = member_sharding(members, config.devices)
    state = init_states(trainer, [(config.strategy, config.k)], sharding)
    keys = jax.random.split(jax.random.key(config.seed), members)

    rollout = trainer.rollout
    roll_exe, roll_compile = compile_timed(rollout, state, keys)
    roll_s = median_seconds(lambda: roll_exe(state, keys), repeats)
    episodes, _ = roll_exe(state, keys)

    # learning and the epoch consume (donate) the state and go on from the one they return,
    # as in training, so that no call pays for copying the buffer
    carry = {"state": state}

    def chained(step, *args):
        def call():
            carry["state"], metrics = step(carry["state"], *args)
            return metrics

        return call

    learn = jax.vmap(trainer.collect_and_learn)
    learn_exe, learn_compile = compile_timed(learn, state, episodes, keys, donate_argnums=0)
    learn_s = median_seconds(chained(learn_exe, episodes, keys), repeats)

    # the epoch exactly as training compiles and runs it
    t0 = time.perf_counter()
    epoch_exe, _ = compile_epoch(trainer, carry["state"], sharding)
    epoch_compile = time.perf_counter() - t0
    epoch_s = median_seconds(chained(epoch_exe), repeats)

    cycles, T = config.cycles_per_epoch, trainer.env.episode_length
    env_steps = members * config.num_envs * T  # one rollout, all members
    updates = config.updates_per_cycle
    rest_s = epoch_s - cycles * (roll_s + learn_s)
    common = {"env": config.env, "members": members, "num_envs": config.num_envs,
              "batch_size": config.batch_size, "updates_per_cycle": updates,
              "cycles_per_epoch": cycles, "eval_envs": config.eval_envs}  # fmt: skip
    rows = [
        {"part": "rollout", "what": f"{config.num_envs} exploring episodes of {T} steps",
         "compile_s": roll_compile, "ms_per_call": 1e3 * roll_s, "calls_per_epoch": cycles,
         "rate": env_steps / roll_s, "rate_unit": "env steps/s, all members"},
        {"part": "collect_and_learn", "what": f"add, normaliser, {updates} gradient steps",
         "compile_s": learn_compile, "ms_per_call": 1e3 * learn_s, "calls_per_epoch": cycles,
         "rate": updates / learn_s, "rate_unit": "updates/s per member"},
        {"part": "rest", "what": "evaluation and bookkeeping (epoch minus the cycles)",
         "compile_s": float("nan"), "ms_per_call": 1e3 * rest_s, "calls_per_epoch": 1,
         "rate": float("nan"), "rate_unit": ""},
        {"part": "epoch", "what": "the whole epoch program, as training runs it",
         "compile_s": epoch_compile, "ms_per_call": 1e3 * epoch_s, "calls_per_epoch": 1,
         "rate": cycles * env_steps / epoch_s, "rate_unit": "env steps/s, all members"},
    ]  # fmt: skip
    for row in rows:
        row["s_per_epoch"] = row["ms_per_call"] * row["calls_per_epoch"] / 1e3
        row["share_of_epoch"] = row["s_per_epoch"] / epoch_s
    rows = [
        common | {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()} | info
        for row in rows
    ]
    tag = f"{config.env}_{meta.device_tag()}" + (f"_{label}" if label else "")
    path = results_dir / f"bench_cycle_{tag}.csv"
    meta.write_csv(path, rows)
    print(f"{config.env}, {members} members x {config.num_envs} envs, batch {config.batch_size}, "
          f"{updates} updates x {cycles} cycles per epoch, on {info['device']}")  # fmt: skip
    print(f"{'part':<18} {'compile s':>9} {'ms/call':>9} {'calls':>5} {'share':>6}  rate")
    for r in rows:
        rate = f"{r['rate']:,.0f} {r['rate_unit']}" if r["rate_unit"] else ""
        print(f"{r['part']:<18} {r['compile_s']:>9.1f} {r['ms_per_call']:>9.1f} "
              f"{r['calls_per_epoch']:>5} {r['share_of_epoch']:>6.0%}  {rate}")  # fmt: skip
    print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    with exit_in_one_line():
        disable_compilation_cache()
        main(sys.argv[1:])
