"""Running mean and std of observations and goals (brax's running statistics).

As in the reference implementation: observations are clipped to +/-200
before the statistics see them, the std is floored at 0.01 (a smaller floor
turns constant dimensions, such as blocked fingers, into amplified noise),
and normalised inputs are clipped to +/-5.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from brax.training.acme import running_statistics, specs
from flax import struct

RunningStats = running_statistics.RunningStatisticsState


@struct.dataclass
class Normalizer:
    obs: RunningStats
    goal: RunningStats


def _init_stats(size: int) -> RunningStats:
    stats = running_statistics.init_state(specs.Array((size,), jnp.float32))
    # brax keeps std_eps as a Python float, a weak-typed leaf under jit; a state restored from
    # a checkpoint has none, so a resumed run would compile its epoch as a second program
    return stats.replace(std_eps=jnp.zeros((), jnp.float32))


def init(obs_size: int, goal_size: int) -> Normalizer:
    return Normalizer(obs=_init_stats(obs_size), goal=_init_stats(goal_size))


def _update(stats: RunningStats, batch: jax.Array, clip_obs: float, std_floor: float):
    flat = jnp.clip(batch.reshape(-1, batch.shape[-1]), -clip_obs, clip_obs)
    stats = running_statistics.update(stats, flat)
    return stats.replace(std=jnp.maximum(stats.std, std_floor))


def update(
    norm: Normalizer, obs: jax.Array, goals: jax.Array, *, clip_obs: float, std_floor: float
) -> Normalizer:
    """Fold in observations `[..., obs]` and goals `[..., goal]` (any leading axes)."""
    return Normalizer(
        obs=_update(norm.obs, obs, clip_obs, std_floor),
        goal=_update(norm.goal, goals, clip_obs, std_floor),
    )


def normalize_inputs(
    norm: Normalizer, obs: jax.Array, goal: jax.Array, *, clip_obs: float, clip_norm: float
) -> jax.Array:
    """The network input `[..., obs + goal]`: each part clipped, normalised and clipped again."""

    def one(stats, x):
        x = jnp.clip(x, -clip_obs, clip_obs)
        return jnp.clip((x - stats.mean) / stats.std, -clip_norm, clip_norm)

    return jnp.concatenate([one(norm.obs, obs), one(norm.goal, goal)], axis=-1)
