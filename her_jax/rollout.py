"""Whole episodes of many environments in one `lax.scan`, and what they achieved."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from her_jax.envs.base import GoalEnv, GoalObs, State
from her_jax.replay import Episodes

Policy = Callable[[GoalObs, jax.Array], jax.Array]  # (obs [N, ...], key) -> action [N, ...]
# every member's policy at once: (obs [M, N, ...], keys [M]) -> action [M, N, ...]
MembersPolicy = Callable[[GoalObs, jax.Array], jax.Array]


def _depend_on(key: jax.Array, tree):
    """`tree` unchanged, each leaf made to depend on `key` (a select of the leaf or itself).

    Why: where a caller maps a rollout over members with `jax.vmap` (the epoch does not: it
    steps every member's environments as one batch), reset leaves that do not depend on the
    key (zero velocities, the constant parts of the MJX data) enter the episode scan
    unbatched, and vmap then re-batches the scan body, the physics substep loop included,
    until the carry stops changing. Tying them to the member's key batches them from the
    start: tracing a push epoch so vmapped over 5 seeds took 3.3 s instead of 7.5 s on a
    2-core CPU.
    """
    tie = jax.random.key_data(key).ravel()[0] == 0
    return jax.tree.map(lambda x: jax.lax.select(jnp.broadcast_to(tie, x.shape), x, x), tree)


def _episode_start(env: GoalEnv, training) -> Callable[[jax.Array], State]:
    """`env.reset`, or `env.reset_training` for training episodes (`training` a bool, or a
    traced one where one program runs both kinds of rollout)."""
    if training is False or not env.has_training_starts:
        return env.reset
    if training is True:
        return env.reset_training
    return lambda key: jax.lax.cond(training, env.reset_training, env.reset, key)


def _scan_episodes(
    env: GoalEnv, act: MembersPolicy, keys: jax.Array, num_envs: int, keep: Callable, training
):
    """Reset `num_envs` environments for each of the M members of `keys` ([M]) and run T
    steps; the first states ([M, N, ...]) and `keep(state, action)` of every step, stacked
    with time leading ([T, M, N, ...]).

    The M x N environments step as one flat batch: one `vmap` of the environment, where a
    `vmap` over members around a `vmap` over environments would batch the physics twice
    (tracing the push rollout of 5 members took 5.0 s instead of 11.5 s on a 2-core CPU,
    with bitwise the same episodes). Member m draws its keys from `keys[m]` alone, exactly
    as one member's rollout does.
    """
    members = keys.shape[0]

    def merge(x):  # [M, N, ...] -> [M * N, ...]
        return x.reshape(members * num_envs, *x.shape[2:])

    def unmerge(x):  # [M * N, ...] -> [M, N, ...]
        return x.reshape(members, num_envs, *x.shape[1:])

    split = jax.vmap(jax.random.split)(keys)
    k_reset, k_steps = split[:, 0], split[:, 1]
    reset_keys = jax.vmap(lambda k: jax.random.split(k, num_envs))(k_reset)
    first = _depend_on(k_reset, jax.vmap(_episode_start(env, training))(merge(reset_keys)))
    step_keys = jax.vmap(lambda k: jax.random.split(k, env.episode_length))(k_steps)

    def step(state, ks):
        action = merge(act(jax.tree.map(unmerge, state.obs), ks))
        state = jax.vmap(env.step)(state, action)
        return state, jax.tree.map(unmerge, keep(state, action))

    _, kept = jax.lax.scan(step, first, jnp.swapaxes(step_keys, 0, 1))
    return jax.tree.map(unmerge, first), kept


def run_member_episodes(
    env: GoalEnv, act: MembersPolicy, keys: jax.Array, num_envs: int, training=False
) -> tuple[Episodes, dict[str, jax.Array]]:
    """Reset `num_envs` environments for each member of `keys` ([M]) and run one episode
    of T steps in each, member m acting by its slice of `act`. Training episodes (`training`
    true, or a traced bool) start from `env.reset_training`, the others from `env.reset`.

    Returns the episodes (`obs [M, N, T + 1, obs]`, `achieved_goal [M, N, T + 1, goal]`,
    `desired_goal [M, N, goal]`, `action [M, N, T, ...]`) and the per-step info
    `[M, N, T]`: member m's equal `run_episodes` with `keys[m]`.
    """

    def keep(state, action):
        return state.obs.observation, state.obs.achieved_goal, action, state.info

    first, (obs, achieved, action, info) = _scan_episodes(env, act, keys, num_envs, keep, training)

    def with_first(initial, rest):  # [M, N, ...] and [T, M, N, ...] -> [M, N, T + 1, ...]
        return jnp.concatenate([initial[:, :, None], jnp.moveaxis(rest, 0, 2)], axis=2)

    episodes = Episodes(
        obs=with_first(first.obs.observation, obs),
        achieved_goal=with_first(first.obs.achieved_goal, achieved),
        desired_goal=first.obs.desired_goal,
        action=jnp.moveaxis(action, 0, 2),
    )
    return episodes, jax.tree.map(lambda x: jnp.moveaxis(x, 0, 2), info)


def _one_member(policy: Policy) -> MembersPolicy:
    """`policy` as the members' policy of a single member."""

    def act(obs, keys):
        return policy(jax.tree.map(lambda x: x[0], obs), keys[0])[None]

    return act


def run_episodes(
    env: GoalEnv, policy: Policy, key: jax.Array, num_envs: int, training=False
) -> tuple[Episodes, dict[str, jax.Array]]:
    """Reset `num_envs` environments (`env.reset_training` if `training`) and run one episode
    of T steps in each.

    Returns the episodes (`obs [N, T + 1, obs]`, `achieved_goal [N, T + 1, goal]`,
    `desired_goal [N, goal]`, `action [N, T, ...]`) and the per-step info `[N, T]`.
    """
    out = run_member_episodes(env, _one_member(policy), key[None], num_envs, training)
    return jax.tree.map(lambda x: x[0], out)


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
    first, rest = _scan_episodes(
        env, _one_member(policy), key[None], num_envs, lambda state, _: state, training=False
    )
    return jax.tree.map(lambda a, b: jnp.concatenate([a[None, 0], b[:, 0]]), first, rest)
