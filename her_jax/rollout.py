"""Whole episodes of many environments in one `lax.scan`, and what they achieved."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from her_jax.envs.base import GoalEnv, GoalObs, State
from her_jax.replay import Episodes

Policy = Callable[[GoalObs, jax.Array], jax.Array]  # (obs [N, ...], key) -> action [N, ...]


def _depend_on(key: jax.Array, tree):
    """`tree` unchanged, each leaf made to depend on `key` (a select of the leaf or itself).

    Why: under `jax.vmap` over members, reset leaves that do not depend on the key (zero
    velocities, the constant parts of the MJX data) enter the episode scan unbatched, and
    vmap then re-batches the scan body, the physics substep loop included, until the carry
    stops changing. Tying them to the member's key batches them from the start: tracing the
    push epoch for 5 seeds took 3.3 s instead of 7.5 s on a 2-core CPU.
    """
    tie = jax.random.key_data(key).ravel()[0] == 0
    return jax.tree.map(lambda x: jax.lax.select(jnp.broadcast_to(tie, x.shape), x, x), tree)


def _scan_episodes(env: GoalEnv, policy: Policy, key: jax.Array, num_envs: int, keep: Callable):
    """Reset `num_envs` environments, run T steps; the first states and `keep(state, action)`
    of every step, stacked with time leading ([T, N, ...])."""
    k_reset, k_steps = jax.random.split(key)
    first = _depend_on(k_reset, jax.vmap(env.reset)(jax.random.split(k_reset, num_envs)))

    def step(state, k):
        action = policy(state.obs, k)
        state = jax.vmap(env.step)(state, action)
        return state, keep(state, action)

    _, kept = jax.lax.scan(step, first, jax.random.split(k_steps, env.episode_length))
    return first, kept


def run_episodes(
    env: GoalEnv, policy: Policy, key: jax.Array, num_envs: int
) -> tuple[Episodes, dict[str, jax.Array]]:
    """Reset `num_envs` environments and run one episode of T steps in each.

    Returns the episodes (`obs [N, T + 1, obs]`, `achieved_goal [N, T + 1, goal]`,
    `desired_goal [N, goal]`, `action [N, T, ...]`) and the per-step info `[N, T]`.
    """

    def keep(state, action):
        return state.obs.observation, state.obs.achieved_goal, action, state.info

    first, (obs, achieved, action, info) = _scan_episodes(env, policy, key, num_envs, keep)

    def with_first(initial, rest):  # [N, ...] and [T, N, ...] -> [N, T + 1, ...]
        return jnp.concatenate([initial[:, None], jnp.swapaxes(rest, 0, 1)], axis=1)

    episodes = Episodes(
        obs=with_first(first.obs.observation, obs),
        achieved_goal=with_first(first.obs.achieved_goal, achieved),
        desired_goal=first.obs.desired_goal,
        action=jnp.swapaxes(action, 0, 1),
    )
    return episodes, jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), info)


def nonfinite_rows(episodes: Episodes) -> jax.Array:
    """How many (environment, step) rows hold a NaN or inf observation or achieved goal: what
    a diverging simulation leaves behind (float32, so it sums like the other metrics)."""
    bad = ~jnp.isfinite(episodes.obs).all(axis=-1) | ~jnp.isfinite(episodes.achieved_goal).all(
        axis=-1
    )
    return bad.sum().astype(jnp.float32)


def run_states(env: GoalEnv, policy: Policy, key: jax.Array, num_envs: int) -> State:
    """The full environment states of one episode in each of `num_envs` environments.

    Leaves are `[T + 1, N, ...]` (time first, the reset state at 0): everything a
    renderer needs, at the price of memory, so keep `num_envs` small.
    """
    first, rest = _scan_episodes(env, policy, key, num_envs, lambda state, _: state)
    return jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), first, rest)
