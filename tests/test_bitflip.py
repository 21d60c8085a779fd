"""Bit-flipping: the paper's toy, checked under jit and vmap at scale."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from her_jax import envs

N_ENVS = 4096


@pytest.fixture(scope="module")
def env():
    return envs.make("bitflip", n_bits=12)


def test_contract_sizes(env):
    assert env.discrete and env.success_at == "any"
    assert env.episode_length == env.observation_size == env.goal_size == env.action_size == 12


def test_goal_distance_counts_the_bits_to_flip(env):
    goal = jnp.zeros((3, 12), jnp.uint8)
    achieved = goal.at[1, :5].set(1).at[2].set(1)
    np.testing.assert_array_equal(env.goal_distance(achieved, goal), [0.0, 5.0, 12.0])
    assert env.goal_distance(achieved, goal).dtype == jnp.float32


def test_jit_vmap_4096_envs_reward_is_compute_reward(env):
    reset = jax.jit(jax.vmap(env.reset))
    step = jax.jit(jax.vmap(env.step))
    state = reset(jax.random.split(jax.random.key(0), N_ENVS))
    assert state.obs.observation.shape == (N_ENVS, 12)
    actions = jax.random.randint(jax.random.key(1), (env.episode_length, N_ENVS), 0, 12)
    for a in actions:
        before = np.asarray(state.obs.observation)
        state = step(state, a)
        after = np.asarray(state.obs.observation)
        # exactly the chosen bit flipped in every env
        np.testing.assert_array_equal(np.abs(after - before).sum(-1), 1)
        np.testing.assert_array_equal(
            after[np.arange(N_ENVS), np.asarray(a)], 1 - before[np.arange(N_ENVS), np.asarray(a)]
        )
        np.testing.assert_array_equal(
            state.reward, env.compute_reward(state.obs.achieved_goal, state.obs.desired_goal)
        )
        np.testing.assert_array_equal(state.info["is_success"], state.reward + 1)
        assert set(np.unique(state.reward)) <= {-1.0, 0.0}
    np.testing.assert_array_equal(state.t, env.episode_length)


def test_reward_is_zero_exactly_on_goal(env):
    goal = jnp.array([[0.0, 1.0] * 6])
    assert env.compute_reward(goal, goal) == 0.0
    assert env.compute_reward(goal.at[0, 3].set(0.0), goal) == -1.0
    # broadcasts over leading axes
    assert env.compute_reward(jnp.zeros((5, 7, 12)), jnp.zeros(12)).shape == (5, 7)


@pytest.mark.parametrize("bad_action", [-1, 12, 1000])
def test_out_of_range_action_flips_nothing_and_is_flagged(env, bad_action):
    state = env.reset(jax.random.key(3))
    nxt = jax.jit(env.step)(state, bad_action)
    np.testing.assert_array_equal(nxt.obs.observation, state.obs.observation)
    assert nxt.info["invalid_action"] == 1.0 and nxt.t == 1
    ok = jax.jit(env.step)(state, 0)
    assert ok.info["invalid_action"] == 0.0


def test_dynamics_ignore_the_goal(env):
    state = env.reset(jax.random.key(4))
    other = state.replace(obs=state.obs.replace(desired_goal=1 - state.obs.desired_goal))
    a = env.step(state, 5)
    b = env.step(other, 5)
    np.testing.assert_array_equal(a.obs.observation, b.obs.observation)


@pytest.mark.parametrize("n", [1, 50, 256])
def test_sizes_from_1_to_256(n):
    env = envs.make("bitflip", n_bits=n)
    state = jax.vmap(env.reset)(jax.random.split(jax.random.key(n), 8))
    state = jax.vmap(env.step)(state, jnp.zeros(8, jnp.int32))
    assert state.obs.observation.shape == (8, n) and env.episode_length == n


def test_one_bit_any_step_success_by_flipping():
    env = envs.make("bitflip", n_bits=1)
    state = env.reset(jax.random.key(0))
    start_hit = bool(state.info["is_success"])
    nxt = env.step(state, 0)
    assert bool(nxt.info["is_success"]) != start_hit


@pytest.mark.parametrize("n", [0, -3, 2000, 2.5, "8"])
def test_bad_n_bits(n):
    with pytest.raises(ValueError, match="n_bits"):
        envs.make("bitflip", n_bits=n)
