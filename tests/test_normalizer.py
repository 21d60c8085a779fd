"""The observation and goal normaliser against NumPy: running statistics over several
updates, the clip before the statistics, the std floor, and the clip of normalised inputs."""

import jax.numpy as jnp
import numpy as np
import pytest

from her_jax import normalizer

CLIP_OBS, STD_FLOOR, CLIP_NORM = 200.0, 0.01, 5.0


def _batches(seed=0):
    """Three updates of observations [4, 6, 3] and goals [4, 2]; observation dimension 1 is
    constant (a blocked finger) and dimension 2 has values beyond the +/-200 clip."""
    rng = np.random.default_rng(seed)
    out = []
    for scale in (1.0, 3.0, 0.5):
        obs = rng.normal(2.0, scale, size=(4, 6, 3)).astype(np.float32)
        obs[..., 1] = 7.0
        obs[..., 2] *= 300.0
        goals = rng.normal(-1.0, scale, size=(4, 2)).astype(np.float32)
        out.append((obs, goals))
    return out


def test_running_statistics_match_numpy_over_several_updates():
    norm = normalizer.init(3, 2)
    batches = _batches()
    for obs, goals in batches:
        norm = normalizer.update(norm, jnp.asarray(obs), jnp.asarray(goals),
                                 clip_obs=CLIP_OBS, std_floor=STD_FLOOR)  # fmt: skip
    all_obs = np.clip(np.concatenate([o.reshape(-1, 3) for o, _ in batches]), -CLIP_OBS, CLIP_OBS)
    all_goals = np.concatenate([g for _, g in batches])
    np.testing.assert_allclose(norm.obs.mean, all_obs.mean(0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(norm.goal.mean, all_goals.mean(0), rtol=1e-5, atol=1e-5)
    expected_std = np.maximum(all_obs.std(0), STD_FLOOR)
    np.testing.assert_allclose(norm.obs.std, expected_std, rtol=1e-4)
    np.testing.assert_allclose(norm.goal.std, all_goals.std(0), rtol=1e-4)
    assert float(norm.obs.std[1]) == pytest.approx(STD_FLOOR)  # the constant dimension
    # the clip reached the statistics: without it the std of dimension 2 would be ~300 times
    assert float(norm.obs.std[2]) < CLIP_OBS


def test_normalised_inputs_are_clipped_and_ordered_obs_then_goal():
    norm = normalizer.init(3, 2)
    for obs, goals in _batches(1):
        norm = normalizer.update(norm, jnp.asarray(obs), jnp.asarray(goals),
                                 clip_obs=CLIP_OBS, std_floor=STD_FLOOR)  # fmt: skip
    obs = jnp.array([[2.0, 7.5, 1e6]])  # 7.5 is 50 floored stds from the constant 7
    goal = jnp.array([[-1.0, 0.0]])
    x = np.asarray(normalizer.normalize_inputs(norm, obs, goal,
                                               clip_obs=CLIP_OBS, clip_norm=CLIP_NORM))  # fmt: skip
    assert x.shape == (1, 5)
    mean = np.concatenate([norm.obs.mean, norm.goal.mean])
    std = np.concatenate([norm.obs.std, norm.goal.std])
    raw = (np.array([2.0, 7.5, CLIP_OBS, -1.0, 0.0]) - mean) / std
    np.testing.assert_allclose(x[0], np.clip(raw, -CLIP_NORM, CLIP_NORM), rtol=1e-5, atol=1e-6)
    assert x[0, 1] == CLIP_NORM  # the floored dimension saturates instead of exploding
