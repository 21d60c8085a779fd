"""Rollouts: the scanned episodes equal a plain Python loop, and the full states agree with them."""

import jax
import numpy as np

from her_jax import envs
from her_jax.rollout import run_episodes, run_states

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
