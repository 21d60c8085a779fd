"""Episode-level success from per-step flags, against values worked out by hand."""

import jax.numpy as jnp
import numpy as np
import pytest

from her_jax import evaluate

# 4 episodes of 5 steps: success after each step
HITS = jnp.array(
    [
        [0, 0, 1, 1, 1],  # first on the goal after step 3, still there at the end
        [0, 1, 0, 0, 0],  # touched it after step 2, left again
        [0, 0, 0, 0, 0],  # never
        [1, 1, 1, 1, 1],  # from the first step
    ],
    jnp.float32,
)


def test_success_metrics_by_hand():
    final = evaluate.success_metrics(HITS, "final")
    assert float(final["success_final"]) == 0.5  # episodes 0 and 3
    assert float(final["success_any"]) == 0.75  # 0, 1 and 3
    assert float(final["success_rate"]) == 0.5
    assert float(final["steps_to_success"]) == pytest.approx((3 + 2 + 1) / 3)
    # bit-flipping's success is any-step
    assert float(evaluate.success_metrics(HITS, "any")["success_rate"]) == 0.75


def test_no_success_gives_nan_steps():
    metrics = evaluate.success_metrics(jnp.zeros((3, 5)), "final")
    assert float(metrics["success_rate"]) == 0.0 and float(metrics["success_any"]) == 0.0
    assert np.isnan(float(metrics["steps_to_success"]))


def test_final_goal_distance_is_the_last_steps_mean():
    distance = jnp.array([[0.3, 0.2, 0.04], [0.5, 0.5, 0.5], [0.1, 0.0, 0.0]])
    metrics = evaluate.distance_metrics(distance)
    assert float(metrics["final_goal_distance"]) == pytest.approx((0.04 + 0.5 + 0.0) / 3)


def test_constraint_rates_leave_the_goal_measures_out():
    info = {
        "is_success": HITS,
        "goal_distance": jnp.ones((4, 5)),
        "object_fell": jnp.array([[0.0, 1.0], [0.0, 0.0]]),
    }
    rates = evaluate.constraint_rates(info)
    assert set(rates) == {"rate_object_fell"} and float(rates["rate_object_fell"]) == 0.25
