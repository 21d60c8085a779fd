"""Goal selection and relabelling: NumPy reference, sampling statistics, one compile."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference import NumpyEpisodeBuffer, numpy_sparse_reward
from scipy import stats

from her_jax import her, replay

T = 10
B = 200_000  # samples per statistical check
ALPHA = 1e-3  # fixed seeds, so these are deterministic; the level only guards against a bad draw


def sparse_reward(achieved, desired):
    return -(jnp.linalg.norm(achieved - desired, axis=-1) > 0.05).astype(jnp.float32)


def draw(strategy, p=1.0, num_episodes=50, seed=0, t=None):
    k_ep, k_t, k_goal = jax.random.split(jax.random.key(seed), 3)
    ep = jax.random.randint(k_ep, (B,), 0, num_episodes)
    t = jax.random.randint(k_t, (B,), 0, T) if t is None else jnp.full((B,), t)
    goal_ep, goal_t, relabelled = her.sample_goals(
        k_goal,
        ep,
        t,
        strategy=strategy,
        relabel_prob=p,
        episode_length=T,
        num_episodes=num_episodes,
    )
    return [np.asarray(x) for x in (ep, t, goal_ep, goal_t, relabelled)]


def chi2_uniform(values, low, high):
    counts = np.bincount(values - low, minlength=high - low + 1)
    assert counts.size == high - low + 1, "values outside the expected support"
    return stats.chisquare(counts).pvalue


def test_final_is_last_achieved_goal_of_same_episode():
    ep, _, goal_ep, goal_t, _ = draw("final")
    assert np.all(goal_t == T) and np.all(goal_ep == ep)


@pytest.mark.parametrize("t", [0, 3, T - 2, T - 1])
def test_future_uniform_after_t(t):
    ep, _, goal_ep, goal_t, _ = draw("future", t=t, seed=t)
    assert np.all(goal_ep == ep)
    assert goal_t.min() >= t + 1 and goal_t.max() <= T
    if t < T - 1:
        assert chi2_uniform(goal_t, t + 1, T) > ALPHA


def test_future_joint_distribution_over_random_t():
    _, t, _, goal_t, _ = draw("future", seed=11)
    offsets = goal_t - t  # given t, uniform on 1 .. T - t
    assert np.all(offsets >= 1) and np.all(offsets <= T - t)
    # the conditional CDF value (offset - 1 + U)/(T - t) is exactly U(0,1) if correct
    u = (offsets - 1 + np.random.default_rng(0).uniform(size=B)) / (T - t)
    assert stats.kstest(u, "uniform").pvalue > ALPHA


def test_episode_uniform_over_same_episode():
    ep, _, goal_ep, goal_t, _ = draw("episode", seed=2)
    assert np.all(goal_ep == ep)
    assert chi2_uniform(goal_t, 1, T) > ALPHA


def test_random_uniform_over_stored_episodes_and_steps():
    _, _, goal_ep, goal_t, _ = draw("random", num_episodes=37, seed=3)
    assert goal_ep.max() < 37  # never an unfilled slot
    assert chi2_uniform(goal_ep, 0, 36) > ALPHA
    assert chi2_uniform(goal_t, 1, T) > ALPHA


def test_random_ignores_the_sampled_episode():
    # every sample from episode 0: `random` still draws from all 37 stored episodes (a
    # strategy that kept the sampled episode, as `episode` does, would give only 0)
    goal_ep, goal_t, _ = her.sample_goals(
        jax.random.key(4), jnp.zeros(B, jnp.int32), jnp.zeros(B, jnp.int32),
        strategy="random", relabel_prob=1.0, episode_length=T, num_episodes=37,
    )  # fmt: skip
    assert chi2_uniform(np.asarray(goal_ep), 0, 36) > ALPHA
    assert chi2_uniform(np.asarray(goal_t), 1, T) > ALPHA


def test_none_never_relabels():
    *_, relabelled = draw("none", p=1.0)
    assert not relabelled.any()


@pytest.mark.parametrize("k", [0, 1, 4, 8, float("inf")])
def test_relabelled_share_matches_relabel_prob(k):
    p = her.relabel_probability(k)
    *_, relabelled = draw("future", p=p, seed=int(min(k, 99)))
    n = int(relabelled.sum())
    if p in (0.0, 1.0):
        assert n == p * B
    else:
        assert stats.binomtest(n, B, p).pvalue > ALPHA


def test_normaliser_goals_are_the_goals_a_training_batch_would_pick():
    # N episodes whose achieved goal at step j is (episode, j, 0) and whose intended goal is
    # (episode, -1, 1): every goal says where it came from
    N = 400
    steps = np.arange(T + 1)
    achieved = np.stack(np.broadcast_arrays(
        np.arange(N)[:, None], steps[None, :], np.zeros((N, T + 1))
    ), axis=-1).astype(np.float32)  # fmt: skip
    desired = np.stack([np.arange(N), -np.ones(N), np.ones(N)], axis=-1).astype(np.float32)

    def goals(strategy, p):
        g = her.normaliser_goals(
            jax.random.key(0), jnp.asarray(achieved), jnp.asarray(desired),
            strategy=strategy, relabel_prob=p,
        )  # fmt: skip
        return np.asarray(g)

    # one goal per transition; no HER: the intended goals alone, each T times
    none = goals("none", 0.8)
    assert none.shape == (N * T, 3)
    np.testing.assert_array_equal(none, np.repeat(desired, T, axis=0))
    # every goal relabelled with future: the transition's own episode, a step after it
    future = goals("future", 1.0)
    ep, t = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    assert (future[:, 0] == ep).all() and (future[:, 1] > t).all() and (future[:, 2] == 0).all()
    # future with k = 4: substitutes in a share p = 0.8, binomially
    intended = int((goals("future", 0.8)[:, 2] == 1).sum())
    assert stats.binomtest(intended, N * T, 0.2).pvalue > ALPHA
    # random draws its substitutes from these N episodes, any of them
    random_eps = goals("random", 1.0)[:, 0]
    assert chi2_uniform(random_eps.astype(int), 0, N - 1) > ALPHA


def test_relabel_probability_values():
    assert her.relabel_probability(4) == pytest.approx(0.8)
    assert her.relabel_probability(1) == pytest.approx(0.5)
    assert her.relabel_probability(float("inf")) == 1.0


def make_filled_buffer(seed=0, capacity=12, adds=5, per_add=4, dims=(4, 3, 2)):
    obs_dim, goal_dim, act_dim = dims
    rng = np.random.default_rng(seed)
    example = replay.Episodes(
        obs=jnp.zeros((T + 1, obs_dim)),
        achieved_goal=jnp.zeros((T + 1, goal_dim)),
        desired_goal=jnp.zeros(goal_dim),
        action=jnp.zeros((T, act_dim)),
    )
    state = replay.init(example, capacity)
    ref = NumpyEpisodeBuffer(capacity)
    for _ in range(adds):
        # goals on a coarse grid so that rewards of 0 and -1 both occur
        eps = replay.Episodes(
            obs=rng.normal(size=(per_add, T + 1, obs_dim)).astype(np.float32),
            achieved_goal=rng.integers(0, 2, (per_add, T + 1, goal_dim)).astype(np.float32),
            desired_goal=rng.integers(0, 2, (per_add, goal_dim)).astype(np.float32),
            action=rng.uniform(-1, 1, (per_add, T, act_dim)).astype(np.float32),
        )
        state = replay.add(state, jax.tree.map(jnp.asarray, eps))
        ref.add(vars(eps))
    return state, ref


@pytest.mark.parametrize("adds", [2, 5])  # 8 of 12 slots filled; all 12, wrapped around
@pytest.mark.parametrize("strategy", her.STRATEGIES)
def test_batches_equal_numpy_reference(strategy, adds):
    # a partly filled buffer checks that sampling stays among the stored episodes: the
    # reference has no data in the empty slots
    state, ref = make_filled_buffer(seed=her.STRATEGIES.index(strategy), adds=adds)
    assert int(state.count) == min(4 * adds, 12)
    key = jax.random.key(7)
    batch = her.sample_batch(
        key, state, 512, strategy=strategy, relabel_prob=0.8, compute_reward=sparse_reward
    )
    # the same indices, drawn the same way, fed to the reference
    k_idx, k_goal = jax.random.split(key)
    ep, t = replay.sample_indices(k_idx, state, 512, T)
    goal_ep, goal_t, relabelled = her.sample_goals(
        k_goal,
        ep,
        t,
        strategy=strategy,
        relabel_prob=0.8,
        episode_length=T,
        num_episodes=state.count,
    )
    expected = ref.transitions(
        *(np.asarray(x) for x in (ep, t, goal_ep, goal_t, relabelled)), numpy_sparse_reward
    )
    for name, value in expected.items():
        np.testing.assert_array_equal(np.asarray(getattr(batch, name)), value, err_msg=name)
    np.testing.assert_array_equal(batch.relabelled, relabelled)
    if strategy != "none":
        assert 0 < batch.relabelled.mean() < 1
        # relabelled rewards are compute_reward on the gathered substitute goals
        r = np.asarray(batch.relabelled)
        subst = np.asarray(state.data.achieved_goal[goal_ep, goal_t])[r]
        nxt = np.asarray(state.data.achieved_goal[ep, t + 1])[r]
        np.testing.assert_array_equal(batch.reward[r], numpy_sparse_reward(nxt, subst))
    assert set(np.unique(batch.reward)) == {-1.0, 0.0}


def test_compiles_once_for_every_strategy_k_and_fill_level():
    traces = 0

    def batch_fn(key, state, strategy, p):
        nonlocal traces
        traces += 1
        return her.sample_batch(
            key, state, 256, strategy=strategy, relabel_prob=p, compute_reward=sparse_reward
        )

    fn = jax.jit(batch_fn)
    for adds in (1, 2, 4):  # fill level 4, 8, 12 (of 12)
        state, _ = make_filled_buffer(adds=adds)
        for s in range(len(her.STRATEGIES)):
            for k in (0, 1, 4, 16):
                out = fn(
                    jax.random.key(s), state, jnp.int32(s), jnp.float32(her.relabel_probability(k))
                )
    jax.block_until_ready(out)
    assert traces == 1


def test_vmaps_over_strategies_and_k():
    state, _ = make_filled_buffer()
    grid_s = jnp.repeat(jnp.arange(len(her.STRATEGIES)), 3)  # [15]
    grid_p = jnp.tile(jnp.array([0.5, 0.8, 1.0]), len(her.STRATEGIES))  # [15]

    def one(strategy, p):
        return her.sample_batch(
            jax.random.key(0),
            state,
            4096,
            strategy=strategy,
            relabel_prob=p,
            compute_reward=sparse_reward,
        )

    batch = jax.jit(jax.vmap(one))(grid_s, grid_p)
    share = np.asarray(batch.relabelled.mean(-1))  # [15]
    expected = np.where(np.asarray(grid_s) == her.NONE, 0.0, np.asarray(grid_p))
    np.testing.assert_allclose(share, expected, atol=0.03)
    assert batch.obs.shape == (15, 4096, 4)
    # each member is the batch of its own strategy and probability, given by name
    for i, (s, p) in enumerate(zip(grid_s.tolist(), grid_p.tolist(), strict=True)):
        alone = one(her.STRATEGIES[s], p)
        for name in ("goal", "reward", "relabelled", "obs"):
            np.testing.assert_array_equal(
                getattr(batch, name)[i], getattr(alone, name), err_msg=f"{name}, member {i}"
            )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "futur"}, "unknown goal strategy 'futur'; valid: none, final, future"),
        ({"strategy": 7}, "strategy index .* out of range"),
        ({"strategy": 1.5}, "must be an int"),
        ({"relabel_prob": 1.5}, "relabel_prob must lie in"),
    ],
)
def test_bad_arguments_raise_before_compiling(kwargs, message):
    args = {"strategy": "future", "relabel_prob": 0.8} | kwargs
    with pytest.raises(ValueError, match=message):
        jax.jit(
            lambda ep: her.sample_goals(
                jax.random.key(0), ep, ep, episode_length=T, num_episodes=4, **args
            )
        )(jnp.zeros(4, jnp.int32))


@pytest.mark.parametrize("k", [-1, -0.5, float("nan")])
def test_negative_k(k):
    with pytest.raises(ValueError, match="k .* must be >= 0"):
        her.relabel_probability(k)


def test_batch_size_below_one():
    state, _ = make_filled_buffer(adds=1)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        her.sample_batch(
            jax.random.key(0),
            state,
            0,
            strategy="future",
            relabel_prob=0.8,
            compute_reward=sparse_reward,
        )
