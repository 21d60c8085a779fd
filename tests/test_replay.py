"""The device episode buffer against a NumPy reference, with traceable contents."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference import NumpyEpisodeBuffer
from scipy import stats

from her_jax import replay

T = 5


def traceable_episodes(first_id: int, n: int, obs_dim: int = 3, goal_dim: int = 2):
    """Episodes whose every value says where it came from: id * 1000 + step."""
    ids = np.arange(first_id, first_id + n, dtype=np.float32)[:, None]  # [N, 1]
    steps = np.arange(T + 1, dtype=np.float32)[None, :]  # [1, T + 1]
    code = ids * 1000 + steps  # [N, T + 1]
    return replay.Episodes(
        obs=jnp.asarray(np.repeat(code[..., None], obs_dim, -1)),
        achieved_goal=jnp.asarray(np.repeat(code[..., None], goal_dim, -1) + 0.5),
        desired_goal=jnp.asarray(np.repeat(ids, goal_dim, -1) * -1.0),
        action=jnp.asarray(code[:, :T, None] + 0.25),
    )


def example_episode():
    return jax.tree.map(lambda x: x[0], traceable_episodes(0, 1))


def test_capacity_in_transitions_and_one_add():
    buf = replay.make_buffer(T, add_batch=4, capacity_transitions=53)
    assert buf.capacity_episodes == 10
    with pytest.raises(ValueError, match="fewer than one add of 4 episodes"):
        replay.make_buffer(T, add_batch=4, capacity_transitions=19)
    with pytest.raises(ValueError, match="episodes per add"):
        replay.make_buffer(T, add_batch=0, capacity_transitions=100)


def test_default_capacity_holds_a_paper_length_run():
    assert replay.DEFAULT_CAPACITY >= 4_750_000


def test_shapes_and_empty_state():
    state = replay.init(example_episode(), 7)
    assert state.data.obs.shape == (7, T + 1, 3)
    assert state.data.action.shape == (7, T, 1)
    assert int(state.count) == 0 and not bool(replay.can_sample(state))


def test_wraparound_keeps_exactly_the_newest_episodes():
    buf = replay.make_buffer(T, add_batch=3, capacity_transitions=5 * T)
    state = buf.init(example_episode())
    added = 0
    for _ in range(4):  # 12 episodes into 5 slots
        state = buf.add(state, traceable_episodes(1 + added, 3))
        added += 3
        stored_ids = sorted(np.asarray(state.data.obs[: int(state.count), 0, 0]) // 1000)
        newest = list(range(max(1, added - 4), added + 1))
        assert stored_ids == newest
    assert int(state.count) == 5 and int(state.insert) == 12 % 5


def test_matches_numpy_reference_and_never_samples_empty_slots():
    buf = replay.make_buffer(T, add_batch=3, capacity_transitions=8 * T)
    state = buf.init(example_episode())
    ref = NumpyEpisodeBuffer(buf.capacity_episodes)
    sample = jax.jit(buf.sample_indices, static_argnums=2)
    key = jax.random.key(0)
    for i in range(5):
        eps = traceable_episodes(1 + 3 * i, 3)
        state = buf.add(state, eps)
        ref.add({k: np.asarray(v) for k, v in vars(eps).items()})
        assert int(state.count) == ref.count and int(state.insert) == ref.insert
        for slot in range(ref.count):
            for name in ("obs", "achieved_goal", "desired_goal", "action"):
                np.testing.assert_array_equal(
                    getattr(state.data, name)[slot], ref.slots[slot][name]
                )
        key, k = jax.random.split(key)
        ep, t = sample(k, state, 4096)
        ep, t = np.asarray(ep), np.asarray(t)
        assert ep.min() >= 0 and ep.max() < ref.count and t.min() >= 0 and t.max() < T
        # no placeholder zeros: every sampled row comes from a written episode
        assert np.all(np.asarray(state.data.obs[ep, t, 0]) >= 1000)
        # uniform over the stored episodes and over the steps
        assert stats.chisquare(np.bincount(ep, minlength=ref.count)).pvalue > 1e-3
        assert stats.chisquare(np.bincount(t, minlength=T)).pvalue > 1e-3


def test_add_is_donated_and_compiles_once():
    buf = replay.make_buffer(T, add_batch=2, capacity_transitions=6 * T)
    state = buf.init(example_episode())
    before = buf.add._cache_size()
    for i in range(5):
        old = state.data.obs
        state = buf.add(state, traceable_episodes(1 + 2 * i, 2))
        assert old.is_deleted()  # the buffer was donated, not copied
    assert buf.add._cache_size() - before <= 1


def test_add_more_than_capacity_is_an_error():
    state = replay.init(example_episode(), 2)
    with pytest.raises(ValueError, match="cannot add 3 episodes to a buffer of 2"):
        replay.add(state, traceable_episodes(1, 3))
