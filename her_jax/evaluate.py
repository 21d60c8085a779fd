"""Success on the intended goal, as the task defines it, how near the misses come, and
the constraint metrics.

Evaluation runs the deterministic online policy on fresh episodes with
their own desired goals: relabelled goals never count.
"""

from __future__ import annotations

import jax.numpy as jnp

#: Per-step values in a rollout's `info` that measure the goal, not a constraint: they get
#: their own metrics, not a `rate_`.
MEASURES = ("is_success", "goal_distance")


def success_metrics(is_success: jnp.ndarray, success_at: str) -> dict[str, jnp.ndarray]:
    """From per-step success `[N, T]` (after each step): the episode-level metrics.

    `success_rate` is the task's own measure: final-step success for
    `success_at == "final"`, any-step for `"any"`. `steps_to_success` is the
    mean number of steps to the first success over the episodes that succeed
    (NaN where none does).
    """
    hit = is_success > 0.5
    final = hit[:, -1].mean()
    reached = hit.any(axis=1)
    first = jnp.argmax(hit, axis=1) + 1  # steps taken when first on the goal
    n_reached = reached.sum()
    steps = jnp.where(n_reached > 0, (first * reached).sum() / jnp.maximum(n_reached, 1), jnp.nan)
    any_ = reached.mean()
    return {
        "success_rate": final if success_at == "final" else any_,
        "success_final": final,
        "success_any": any_,
        "steps_to_success": steps,
    }


def distance_metrics(goal_distance: jnp.ndarray) -> dict[str, jnp.ndarray]:
    """From per-step goal distance `[N, T]` (after each step): `final_goal_distance`, its
    mean over episodes at the last step, in the task's own unit (metres on Fetch, bits
    on bit-flipping). Success counts a miss by 1 mm and by 1 m alike; this does not."""
    return {"final_goal_distance": goal_distance[:, -1].mean()}


def constraint_rates(info: dict[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    """Per-step rate of every flag in `info` other than the `MEASURES`, e.g.
    `rate_invalid_action`."""
    return {f"rate_{k}": jnp.mean(v) for k, v in sorted(info.items()) if k not in MEASURES}
