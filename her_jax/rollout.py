"""Whole episodes of many environments in one `lax.scan`, and what they achieved."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from her_jax.envs.base import GoalEnv, GoalObs
from her_jax.replay import Episodes

Policy = Callable[[GoalObs, jax.Array], jax.Array]  # (obs [N, ...], key) -> action [N, ...]


def run_episodes(
    env: GoalEnv, policy: Policy, key: jax.Array, num_envs: int
) -> tuple[Episodes, dict[str, jax.Array]]:
    """Reset `num_envs` environments and run one episode of T steps in each.

    Returns the episodes (`obs [N, T + 1, obs]`, `achieved_goal [N, T + 1, goal]`,
    `desired_goal [N, goal]`, `action [N, T, ...]`) and the per-step info `[N, T]`.
    """
    k_reset, k_steps = jax.random.split(key)
    first = jax.vmap(env.reset)(jax.random.split(k_reset, num_envs))

    def step(state, k):
        action = policy(state.obs, k)
        state = jax.vmap(env.step)(state, action)
        return state, (state.obs.observation, state.obs.achieved_goal, action, state.info)

    keys = jax.random.split(k_steps, env.episode_length)
    _, (obs, achieved, action, info) = jax.lax.scan(step, first, keys)  # leading [T, N]

    def with_first(initial, rest):  # [N, ...] and [T, N, ...] -> [N, T + 1, ...]
        return jnp.concatenate([initial[:, None], jnp.swapaxes(rest, 0, 1)], axis=1)

    episodes = Episodes(
        obs=with_first(first.obs.observation, obs),
        achieved_goal=with_first(first.obs.achieved_goal, achieved),
        desired_goal=first.obs.desired_goal,
        action=jnp.swapaxes(action, 0, 1),
    )
    return episodes, jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), info)
