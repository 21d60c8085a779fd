"""Replay throughput: episode adds and HER sample+relabel batches, in transitions/s.

A buffer of 1e6 transitions shaped like a Fetch object task (observation 25,
goal 3, action 4, 50 steps). Each measurement jits a `lax.scan` of `repeats`
operations, warms it up once, then times it with `block_until_ready`.

    python experiments/bench_buffer.py            # writes results/bench_buffer_<cpu|gpu>.csv
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import tyro

from her_jax import her, meta, replay
from her_jax.errors import ConfigError, exit_in_one_line

OBS, GOAL, ACT, T = 25, 3, 4, 50


@dataclasses.dataclass(frozen=True)
class Args:
    capacity: int = 1_000_000
    """Buffer size in transitions."""
    batch_sizes: tuple[int, ...] = (256, 1024, 4096, 16384, 65536)
    """Transitions per sample batch; adds write the same number rounded up to whole episodes."""
    repeats: int = 50
    """Operations per timed scan."""
    out_dir: Path = Path(__file__).resolve().parent.parent / "results"
    """Where the CSV goes."""


def sparse_reward(achieved, desired):
    return -(jnp.linalg.norm(achieved - desired, axis=-1) > 0.05).astype(jnp.float32)


def random_episodes(key, n):
    k_obs, k_ag, k_g, k_act = jax.random.split(key, 4)
    return replay.Episodes(
        obs=jax.random.normal(k_obs, (n, T + 1, OBS)),
        achieved_goal=jax.random.normal(k_ag, (n, T + 1, GOAL)) * 0.1,
        desired_goal=jax.random.normal(k_g, (n, GOAL)) * 0.1,
        action=jax.random.uniform(k_act, (n, T, ACT), minval=-1, maxval=1),
    )


def adds_fn(repeats):
    """`repeats` adds of the same episodes, in one scan."""

    def adds(state, episodes):
        def body(s, _):
            return replay.add(s, episodes), None

        return jax.lax.scan(body, state, length=repeats)[0]

    return adds


def samples_fn(batch, repeats):
    """`repeats` HER batches (future, k = 4), reduced so that nothing is optimised away."""

    def samples(state, key):
        def body(acc, k):
            b = her.sample_batch(
                k, state, batch, strategy="future", relabel_prob=0.8, compute_reward=sparse_reward
            )
            return acc + b.reward.sum() + b.obs[0, 0] + b.goal[0, 0], None

        return jax.lax.scan(body, jnp.zeros(()), jax.random.split(key, repeats))[0]

    return samples


def timed(fn, *args):
    """Seconds for one call of `fn` after a warm-up call that compiles it."""
    jax.block_until_ready(fn(*args))
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    return time.perf_counter() - start


def timed_donating(fn, state, *args):
    """Like `timed` for a `fn` that donates and returns its first argument; returns both."""
    state = jax.block_until_ready(fn(state, *args))
    start = time.perf_counter()
    state = jax.block_until_ready(fn(state, *args))
    return time.perf_counter() - start, state


def main(args: Args) -> None:
    if args.repeats < 1 or min(args.batch_sizes) < 1:
        raise ConfigError("repeats and every batch size must be >= 1")
    capacity = replay.capacity_in_episodes(args.capacity, T, 1)
    example = jax.tree.map(lambda x: x[0], random_episodes(jax.random.key(0), 1))
    state = replay.add(replay.init(example, capacity), random_episodes(jax.random.key(1), capacity))
    rows = []
    for batch in args.batch_sizes:
        n_eps = -(-batch // T)  # whole episodes per add
        if n_eps > capacity:
            raise ConfigError(f"an add of {n_eps} episodes does not fit {capacity} slots")
        episodes = random_episodes(jax.random.key(2), n_eps)

        # donated, as in training: without donation every add copies the whole buffer
        seconds, state = timed_donating(
            jax.jit(adds_fn(args.repeats), donate_argnums=0), state, episodes
        )
        seconds /= args.repeats
        rows.append(("add", n_eps * T, seconds))
        seconds = (
            timed(jax.jit(samples_fn(batch, args.repeats)), state, jax.random.key(3)) / args.repeats
        )
        rows.append(("sample_relabel_future", batch, seconds))
        for op, n, s in rows[-2:]:
            print(f"{op:>22} {n:>7} transitions  {s * 1e6:10.1f} us  {n / s:14,.0f} transitions/s")

    info = meta.run_metadata()
    path = args.out_dir / f"bench_buffer_{meta.device_tag()}.csv"
    meta.write_csv(path, [
        {"operation": op, "batch_transitions": n, "seconds_per_batch": f"{s:.3e}",
         "transitions_per_s": f"{n / s:.0f}", "capacity_transitions": capacity * T} | info
        for op, n, s in rows
    ])  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    with exit_in_one_line():
        main(tyro.cli(Args))
