"""Hindsight goal selection and relabelling, as pure vmappable functions.

A sampled transition (episode e, step t) keeps its intended goal or, with
probability `relabel_prob = 1 - 1/(1 + k)`, takes a substitute goal from the
stored achieved goals `ag_0 .. ag_T` (T + 1 rows per episode):

    final    ag_T of the same episode
    future   ag_j, j uniform on t+1 .. T, same episode
    episode  ag_j, j uniform on 1 .. T, same episode
    random   ag_j, j uniform on 1 .. T, of a uniformly drawn stored episode
    none     never relabelled (plain experience replay)

The strategy is data, not a Python branch: an int index into `STRATEGIES`
that may be traced, so one compiled program serves every strategy and k, and
`jax.vmap` runs a whole ablation at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from her_jax.errors import ConfigError
from her_jax.replay import BufferState, Episodes, sample_indices

STRATEGIES = ("none", "final", "future", "episode", "random")
NONE, FINAL, FUTURE, EPISODE, RANDOM = range(len(STRATEGIES))


def _concrete(x) -> np.ndarray | None:
    """`x` as a NumPy array, or None while it is traced (its value unknown until run time)."""
    try:
        return np.asarray(x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def strategy_index(strategy: str | int | jax.Array) -> jax.Array:
    """The int32 index of a strategy given by name or index; checks concrete values."""
    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            raise ConfigError(f"unknown goal strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
        return jnp.asarray(STRATEGIES.index(strategy), jnp.int32)
    values = _concrete(strategy)
    if values is not None:
        if not np.issubdtype(values.dtype, np.integer):
            raise ConfigError(f"a strategy index must be an int, got dtype {values.dtype}")
        if values.size and (values.min() < 0 or values.max() >= len(STRATEGIES)):
            raise ConfigError(
                f"strategy index {values.tolist()} out of range; valid: 0..{len(STRATEGIES) - 1}"
                f" for {', '.join(STRATEGIES)}"
            )
    return jnp.asarray(strategy, jnp.int32)


def relabel_probability(k: float) -> float:
    """`1 - 1/(1 + k)`: the share of substitute goals for k substitutes per original.

    k = 4 gives 0.8; k = inf (the paper's "all") gives 1.
    """
    k = float(k)
    if math.isnan(k) or k < 0:
        raise ConfigError(f"k (substitute goals per original) must be >= 0, got {k}")
    return 1.0 if math.isinf(k) else 1.0 - 1.0 / (1.0 + k)


def _check_relabel_prob(p) -> None:
    values = _concrete(p)
    if values is None:
        return
    if not np.all((values >= 0) & (values <= 1)):
        raise ConfigError(f"relabel_prob must lie in [0, 1], got {values.tolist()}")


def sample_goals(
    key: jax.Array,
    ep: jax.Array,
    t: jax.Array,
    *,
    strategy: str | int | jax.Array,
    relabel_prob: float | jax.Array,
    episode_length: int,
    num_episodes: int | jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Pick a substitute goal for each sampled transition.

    Args:
      ep, t: `[B]` int, the sampled episodes and steps (t in [0, T)).
      strategy: name or index into `STRATEGIES` (may be traced).
      relabel_prob: probability that a sample takes its substitute goal (may be traced).
      episode_length: T (static).
      num_episodes: how many episodes are stored (may be traced); `random` draws from these.

    Returns:
      `(goal_ep [B], goal_t [B], relabelled [B] bool)`: the substitute is
      `achieved_goal[goal_ep, goal_t]` (goal_t in 1..T); where `relabelled` is
      False the sample keeps its intended goal.
    """
    strategy = strategy_index(strategy)
    _check_relabel_prob(relabel_prob)
    T = episode_length
    k_coin, k_future, k_episode, k_random_ep, k_random_t = jax.random.split(key, 5)
    shape = jnp.shape(ep)

    # future: t + 1 + floor(u * (T - t)), u ~ U[0, 1), as the reference sampler;
    # the clip only guards float rounding at u -> 1.
    u = jax.random.uniform(k_future, shape)
    future_t = jnp.minimum(t + 1 + jnp.floor(u * (T - t)).astype(jnp.int32), T)
    episode_t = jax.random.randint(k_episode, shape, 1, T + 1)
    random_t = jax.random.randint(k_random_t, shape, 1, T + 1)
    random_ep = jax.random.randint(k_random_ep, shape, 0, jnp.maximum(num_episodes, 1))
    final_t = jnp.full(shape, T, jnp.int32)

    goal_t = jnp.select(
        [strategy == FINAL, strategy == FUTURE, strategy == EPISODE, strategy == RANDOM],
        [final_t, future_t, episode_t, random_t],
        default=final_t,
    ).astype(jnp.int32)
    goal_ep = jnp.where(strategy == RANDOM, random_ep, ep).astype(jnp.int32)
    coin = jax.random.uniform(k_coin, shape) < relabel_prob
    relabelled = coin & (strategy != NONE)
    return goal_ep, goal_t, relabelled


def normaliser_goals(
    key: jax.Array,
    achieved_goal: jax.Array,
    desired_goal: jax.Array,
    *,
    strategy: str | int | jax.Array,
    relabel_prob: float | jax.Array,
) -> jax.Array:
    """The goals a batch of new episodes adds to the goal statistics: one per transition, the
    intended or the substitute goal as a training batch would pick it.

    The reference updates the goal statistics from relabelled samples of the new
    episodes, so intended goals weigh 1 - p and substitutes p. Where intended
    goals lie apart from where the object has been (slide's goals 0.4 m ahead,
    pick-and-place's in the air), statistics of the achieved goals alone would
    put most intended goals at the clip. Every transition is taken once, where
    the reference draws as many with replacement: the same expectation.

    Args:
      achieved_goal: `[N, T + 1, goal]` of the new episodes.
      desired_goal: `[N, goal]`, their intended goals.
      strategy, relabel_prob: as `sample_goals` (`random` draws from these N episodes).

    Returns:
      `[N * T, goal]`.
    """
    N, T = desired_goal.shape[0], achieved_goal.shape[1] - 1
    ep = jnp.repeat(jnp.arange(N, dtype=jnp.int32), T)
    t = jnp.tile(jnp.arange(T, dtype=jnp.int32), N)
    goal_ep, goal_t, relabelled = sample_goals(
        key, ep, t, strategy=strategy, relabel_prob=relabel_prob, episode_length=T,
        num_episodes=N,
    )  # fmt: skip
    return jnp.where(relabelled[:, None], achieved_goal[goal_ep, goal_t], desired_goal[ep])


@struct.dataclass
class Transition:
    """A training batch with goals chosen and rewards recomputed."""

    obs: jax.Array  # [B, obs]
    action: jax.Array  # [B, act] or [B] int
    reward: jax.Array  # [B] compute_reward(achieved_goal at t + 1, goal)
    next_obs: jax.Array  # [B, obs]
    goal: jax.Array  # [B, goal] the intended or the substitute goal
    relabelled: jax.Array  # [B] bool, whether `goal` is a substitute


def relabel(
    key: jax.Array,
    episodes: Episodes,
    ep: jax.Array,
    t: jax.Array,
    *,
    strategy: str | int | jax.Array,
    relabel_prob: float | jax.Array,
    num_episodes: int | jax.Array,
    compute_reward: Callable[[jax.Array, jax.Array], jax.Array],
) -> Transition:
    """Gather transitions `(ep, t)` from stored episodes, relabel their goals, recompute rewards.

    `episodes` has leaves `[C, T + 1 or T, ...]`; `compute_reward` is the
    environment's pure reward, broadcasting over the batch axis.
    """
    T = episodes.action.shape[1]
    goal_ep, goal_t, relabelled = sample_goals(
        key,
        ep,
        t,
        strategy=strategy,
        relabel_prob=relabel_prob,
        episode_length=T,
        num_episodes=num_episodes,
    )
    substitute = episodes.achieved_goal[goal_ep, goal_t]  # [B, goal]
    goal = jnp.where(relabelled[:, None], substitute, episodes.desired_goal[ep])
    next_achieved = episodes.achieved_goal[ep, t + 1]  # [B, goal]
    return Transition(
        obs=episodes.obs[ep, t],
        action=episodes.action[ep, t],
        reward=compute_reward(next_achieved, goal),
        next_obs=episodes.obs[ep, t + 1],
        goal=goal,
        relabelled=relabelled,
    )


def sample_batch(
    key: jax.Array,
    buffer: BufferState,
    batch_size: int,
    *,
    strategy: str | int | jax.Array,
    relabel_prob: float | jax.Array,
    compute_reward: Callable[[jax.Array, jax.Array], jax.Array],
) -> Transition:
    """Uniform transitions from the buffer, relabelled: the training batch of one update."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    episodes: Episodes = buffer.data
    k_idx, k_goal = jax.random.split(key)
    ep, t = sample_indices(k_idx, buffer, batch_size, episodes.action.shape[1])
    return relabel(
        k_goal,
        episodes,
        ep,
        t,
        strategy=strategy,
        relabel_prob=relabel_prob,
        num_episodes=buffer.count,
        compute_reward=compute_reward,
    )
