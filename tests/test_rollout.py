"""Rollouts: the scanned episodes equal a plain Python loop, and the full states agree with them."""

import jax
import numpy as np

from her_jax import envs
from her_jax.rollout import run_episodes, run_member_episodes, run_states

N = 5


def random_policy(env):
    def act(obs, key):
        return jax.random.randint(key, obs.observation.shape[:1], 0, env.action_size)

    return act


def test_scanned_episodes_equal_a_python_loop_and_the_full_states():
    env = envs.make("bitflip", n_bits=6)
    policy = random_policy(env)
    key = jax.random.key(3)
    episodes, info = jax.jit(lambda k: run_episodes(env, policy, k, N))(key)
    states = jax.jit(lambda k: run_states(env, policy, k, N))(key)

    # the reference: the same keys, one step at a time on the host
    k_reset, k_steps = jax.random.split(key)
    state = jax.vmap(env.reset)(jax.random.split(k_reset, N))
    obs, actions, success = [state.obs.observation], [], []
    for k in jax.random.split(k_steps, env.episode_length):
        action = policy(state.obs, k)
        state = jax.vmap(env.step)(state, action)
        obs.append(state.obs.observation)
        actions.append(action)
        success.append(state.info["is_success"])
    np.testing.assert_array_equal(episodes.obs, np.stack(obs, axis=1))  # [N, T + 1, obs]
    np.testing.assert_array_equal(episodes.achieved_goal, episodes.obs)  # bitflip: ag is the state
    np.testing.assert_array_equal(episodes.action, np.stack(actions, axis=1))
    np.testing.assert_array_equal(info["is_success"], np.stack(success, axis=1))
    np.testing.assert_array_equal(episodes.desired_goal, state.obs.desired_goal)

    assert states.obs.observation.shape == (env.episode_length + 1, N, 6)  # time first
    np.testing.assert_array_equal(np.swapaxes(states.obs.observation, 0, 1), episodes.obs)
    np.testing.assert_array_equal(
        np.swapaxes(states.info["is_success"][1:], 0, 1), info["is_success"]
    )


def test_every_members_episodes_in_one_batch_equal_one_rollout_per_member():
    """Members step as one flat batch of environments, each acting by its own policy (here a
    per-member action offset), and each gets exactly the episodes of its own rollout."""
    env = envs.make("bitflip", n_bits=6)
    offsets = jax.numpy.array([0, 2, 5])
    keys = jax.random.split(jax.random.key(7), 3)

    def member_policy(offset):
        def act(obs, key):
            return (random_policy(env)(obs, key) + offset) % env.action_size

        return act

    def act_all(obs, ks):
        return jax.vmap(lambda o, k, c: member_policy(c)(o, k))(obs, ks, offsets)

    episodes, info = jax.jit(lambda k: run_member_episodes(env, act_all, k, N))(keys)
    assert episodes.obs.shape == (3, N, env.episode_length + 1, 6)
    for m in range(3):
        alone = jax.jit(lambda k, c: run_episodes(env, member_policy(c), k, N))(keys[m], offsets[m])
        for got, want in zip(
            jax.tree.leaves((episodes, info)), jax.tree.leaves(alone), strict=True
        ):
            np.testing.assert_array_equal(got[m], want)
    assert not np.array_equal(episodes.action[0], episodes.action[1])  # members differ
