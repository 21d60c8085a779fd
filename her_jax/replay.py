"""A circular buffer of whole episodes that lives on the device.

Pure functions over `BufferState` (flashbax's shape): `init`, `add`,
`can_sample`, `sample_indices`. Every leaf of the stored data has a leading
`[capacity_episodes]` axis followed by the episode's own axes, e.g.
`obs [C, T + 1, obs]` and `action [C, T, act]`: observations are stored once,
T + 1 rows, and `obs[e, t + 1]` is the next observation of step t.

Episodes are written at the insert index and wrap around, so once full the
oldest episodes are overwritten. Slots `0 .. count - 1` are always the filled
ones (writing starts at slot 0 and only wraps once every slot is full), so
sampling draws episodes from `[0, count)` with `count` traced: nothing
recompiles while the buffer fills and nothing is drawn from an empty slot.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from her_jax.errors import ConfigError

#: Default capacity in transitions. The reference runs keep 1e6 transitions on
#: each of 19 workers, so their 4.75e6-step runs never wrap: one buffer of
#: 5e6 transitions does the same.
DEFAULT_CAPACITY = 5_000_000


@struct.dataclass
class Episodes:
    """A batch of whole episodes of length T (leading axis N, or C in the buffer)."""

    obs: jax.Array  # [N, T + 1, obs]
    achieved_goal: jax.Array  # [N, T + 1, goal]
    desired_goal: jax.Array  # [N, goal]
    action: jax.Array  # [N, T, act] float (continuous) or [N, T] int32 (discrete)


@struct.dataclass
class BufferState:
    data: Any  # pytree (normally Episodes) with leaves [capacity_episodes, ...]
    insert: jax.Array  # [] int32, slot the next episode goes to
    count: jax.Array  # [] int32, number of filled slots, <= capacity_episodes

    @property
    def capacity_episodes(self) -> int:
        return jax.tree.leaves(self.data)[0].shape[0]


def capacity_in_episodes(capacity_transitions: int, episode_length: int, add_batch: int) -> int:
    """Slots needed for `capacity_transitions`, checked against the size of one add."""
    if episode_length < 1:
        raise ConfigError(f"episode_length must be >= 1, got {episode_length}")
    if add_batch < 1:
        raise ConfigError(f"episodes per add must be >= 1, got {add_batch}")
    episodes = capacity_transitions // episode_length
    if episodes < add_batch:
        raise ConfigError(
            f"buffer capacity of {capacity_transitions} transitions holds {episodes} episodes of "
            f"{episode_length} steps, fewer than one add of {add_batch} episodes; "
            f"use a capacity of at least {add_batch * episode_length} transitions"
        )
    return episodes


def init(example_episode: Any, capacity_episodes: int) -> BufferState:
    """An empty buffer shaped like `example_episode` (one episode, no leading axis)."""
    if capacity_episodes < 1:
        raise ConfigError(f"capacity_episodes must be >= 1, got {capacity_episodes}")
    data = jax.tree.map(
        lambda x: jnp.zeros((capacity_episodes, *jnp.shape(x)), jnp.asarray(x).dtype),
        example_episode,
    )
    # Two separate arrays: a donated state must not hold one buffer twice.
    return BufferState(data=data, insert=jnp.zeros((), jnp.int32), count=jnp.zeros((), jnp.int32))


def add(state: BufferState, episodes: Any) -> BufferState:
    """Write a batch of N episodes (leaves `[N, ...]`), overwriting the oldest once full."""
    capacity = state.capacity_episodes
    n = jax.tree.leaves(episodes)[0].shape[0]
    if n > capacity:
        raise ConfigError(f"cannot add {n} episodes to a buffer of {capacity} episodes")
    slots = (state.insert + jnp.arange(n)) % capacity  # [N], wraps past the end
    data = jax.tree.map(lambda buf, x: buf.at[slots].set(x.astype(buf.dtype)), state.data, episodes)
    return state.replace(
        data=data,
        insert=(state.insert + n) % capacity,
        count=jnp.minimum(state.count + n, capacity),
    )


def can_sample(state: BufferState) -> jax.Array:
    """True once at least one episode is stored."""
    return state.count > 0


def sample_indices(
    key: jax.Array, state: BufferState, batch_size: int, episode_length: int
) -> tuple[jax.Array, jax.Array]:
    """Uniform transitions from the stored episodes: `(ep [B], t [B])`, t in [0, T).

    Every stored episode has T transitions, so uniform episode and uniform step
    is uniform over transitions.
    """
    k_ep, k_t = jax.random.split(key)
    ep = jax.random.randint(k_ep, (batch_size,), 0, jnp.maximum(state.count, 1))
    t = jax.random.randint(k_t, (batch_size,), 0, episode_length)
    return ep, t


class Buffer(NamedTuple):
    """The buffer's functions with the static sizes bound; add is jitted with the state donated."""

    capacity_episodes: int
    episode_length: int
    init: Any  # (example_episode) -> BufferState
    add: Any  # (state, episodes) -> BufferState
    can_sample: Any  # (state) -> bool
    sample_indices: Any  # (key, state, batch_size) -> (ep, t)


def make_buffer(
    episode_length: int, add_batch: int, capacity_transitions: int = DEFAULT_CAPACITY
) -> Buffer:
    """Bind the sizes of a buffer holding `capacity_transitions` (rounded down to episodes)."""
    capacity = capacity_in_episodes(capacity_transitions, episode_length, add_batch)
    return Buffer(
        capacity_episodes=capacity,
        episode_length=episode_length,
        init=functools.partial(init, capacity_episodes=capacity),
        add=jax.jit(add, donate_argnums=0),
        can_sample=can_sample,
        sample_indices=functools.partial(sample_indices, episode_length=episode_length),
    )
