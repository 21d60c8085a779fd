"""Env steps per second of the Fetch tasks against the number of parallel environments.

An env step is one 25 Hz control step of the full `env.step` (physics,
observation, reward, info) inside a jitted 50-step `lax.scan` rollout,
vmapped over environments, with uniformly random actions. Each configuration
is compiled and run once as a warm-up, then timed over `--repeats` rollouts
with `block_until_ready`. Writes `results/bench_envs_<cpu|gpu>.csv`.

    python experiments/bench_envs.py                       # defaults by backend
    python experiments/bench_envs.py --tasks fetch_push --num-envs 1024 4096
"""

from __future__ import annotations

import dataclasses
import pathlib
import time

import jax
import tyro
from train import disable_compilation_cache

from her_jax import meta
from her_jax.envs import make
from her_jax.errors import exit_in_one_line

# push first: its targets are the ones that matter, and a run cut short keeps what it timed
TASKS = ("fetch_push", "fetch_reach", "fetch_slide", "fetch_pick_and_place")
CPU_NUM_ENVS = (1, 16, 256)
GPU_NUM_ENVS = (1024, 4096, 8192, 16384)
GPU_PUSH_EXTRA = (32768,)


@dataclasses.dataclass(frozen=True)
class Args:
    tasks: tuple[str, ...] = TASKS
    """Tasks to time."""
    num_envs: tuple[int, ...] | None = None
    """Batch sizes; default 1, 16, 256 on CPU, 1,024 to 16,384 on GPU (and 32,768 for push)."""
    repeats: int = 3
    """Timed rollouts per configuration, after one warm-up."""
    out: pathlib.Path | None = None
    """CSV path; default results/bench_envs_<cpu|gpu>.csv."""
    seed: int = 0


def make_rollout(env, num_envs: int):
    """Jitted key -> final states of `num_envs` envs after one random-action episode."""

    def one(key):
        k_reset, k_act = jax.random.split(key)
        state = env.reset(k_reset)

        def body(s, k):
            a = jax.random.uniform(k, (env.action_size,), minval=-1.0, maxval=1.0)
            return env.step(s, a), None

        keys = jax.random.split(k_act, env.episode_length)
        state, _ = jax.lax.scan(body, state, keys)
        return state

    return jax.jit(lambda key: jax.vmap(one)(jax.random.split(key, num_envs)))


def bench(task: str, num_envs: int, repeats: int, key: jax.Array) -> tuple[float, float]:
    """(env steps per second, compile-and-first-run seconds) of one configuration."""
    env = make(task)
    rollout = make_rollout(env, num_envs)
    t0 = time.perf_counter()
    jax.block_until_ready(rollout(key))
    warmup = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(repeats):
        jax.block_until_ready(rollout(jax.random.fold_in(key, i + 1)))
    elapsed = time.perf_counter() - t0
    return repeats * num_envs * env.episode_length / elapsed, warmup


def main(args: Args) -> None:
    backend = meta.device_tag()
    results = pathlib.Path(__file__).resolve().parent.parent / "results"
    out = args.out or results / f"bench_envs_{backend}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    info = meta.run_metadata()
    rows = []
    key = jax.random.PRNGKey(args.seed)
    for task in args.tasks:
        sizes = args.num_envs
        if sizes is None:
            sizes = CPU_NUM_ENVS if backend == "cpu" else GPU_NUM_ENVS
            if backend == "gpu" and task == "fetch_push":
                sizes = sizes + GPU_PUSH_EXTRA
        for n in sizes:
            rate, warmup = bench(task, n, args.repeats, key)
            print(f"{task:22s} {n:6d} envs  {rate:12,.0f} env steps/s  (warm-up {warmup:.1f} s)")
            rows.append(
                {
                    "task": task,
                    "num_envs": n,
                    "env_steps_per_s": round(rate, 1),
                    "warmup_s": round(warmup, 2),
                    "episode_length": 50,
                    "repeats": args.repeats,
                    **info,
                }
            )
            meta.write_csv(out, rows)  # after every configuration: a cut-short run keeps its rows
    print(f"wrote {out}")


if __name__ == "__main__":
    with exit_in_one_line():
        disable_compilation_cache()
        main(tyro.cli(Args))
