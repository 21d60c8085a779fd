"""Scripted expert policies for the Fetch tasks: proof that the physics allows each task.

`expert_action(env, state) -> action [4]` is a pure function of the current
observation and goal (no memory: every phase is recognised from geometry),
so it jits and vmaps like a learned policy:

- reach: move straight to the goal (or the nearest point of the workspace);
- push and slide: rise, fly to a point behind the object on the line from
  the goal through it, descend, and push along that line, steering back onto
  it; slide caps the pushing speed at the speed from which the puck, once
  left alone, stops at the goal under the table's friction;
- pick-and-place: open, hover above the cube, descend around it, close, and
  carry it to the goal.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from her_jax.envs.base import State
from her_jax.envs.fetch.env import MAX_MOVE, FetchEnv
from her_jax.envs.fetch.scene import CONTROL_DT

GRAVITY = 9.81
PUSH_OFFSET = 0.05  # m from the object centre to the gripper at the start of a push
HOVER_CLEARANCE = 0.065  # m above the object centre: fingertips clear a 5 cm cube
ALIGN_TOL = 0.012  # m of sideways error from the push line tolerated while pushing
DONE_TOL = 0.01  # m from the goal at which the experts hold still


def expert_action(env: FetchEnv, state: State) -> jax.Array:
    """Scripted action [4] in [-1, 1] for one environment; vmap for many."""
    obs, goal = state.obs.observation, state.obs.desired_goal
    layout = env.observation_layout
    grip = obs[layout["grip_pos"]]
    if not env.spec.has_object:
        # goals below the workspace floor are reached from the floor, not by pressing into it
        target = jnp.clip(goal, jnp.array(env.spec.workspace_lo), jnp.array(env.spec.workspace_hi))
        return jnp.append(_move(target - grip), 0.0)
    obj = obs[layout["object_pos"]]
    if env.spec.block_gripper:
        slide = env.spec.target_offset[0] > 0
        return _push(env, grip, obj, goal, slide)
    width = obs[layout["fingers"]].sum()
    return _pick(grip, obj, goal, width)


def _move(delta: jax.Array) -> jax.Array:
    """Action [3] that moves the mocap target by `delta` (m), saturated per axis."""
    return jnp.clip(delta / MAX_MOVE, -1.0, 1.0)


def _push(env: FetchEnv, grip, obj, goal, slide: bool) -> jax.Array:
    """Push the object along the line from its position to the goal (fingers blocked)."""
    push_z = env.spec.workspace_lo[2]
    hover_z = obj[2] + HOVER_CLEARANCE
    to_goal = goal[:2] - obj[:2]
    dist = jnp.linalg.norm(to_goal)
    u = to_goal / jnp.maximum(dist, 1e-6)  # push direction [2]
    rel = grip[:2] - obj[:2]
    along = rel @ u  # negative: the gripper is behind the object
    side = rel - along * u  # sideways offset from the push line [2]
    low = grip[2] < push_z + 0.02
    in_line = (along < -(PUSH_OFFSET - 0.02)) & (jnp.linalg.norm(side) < ALIGN_TOL)

    if slide:
        # the puck keeps sliding: never push faster than it can stop at the goal
        mu = env.scene.mj_model.pair_friction[env.scene.object_pairs[0], 0]
        step = CONTROL_DT * jnp.sqrt(2 * mu * GRAVITY * dist)
    else:
        step = dist
    step = jnp.minimum(step, MAX_MOVE)
    push = jnp.concatenate([u * step - side, jnp.array([push_z - grip[2]])])

    behind = obj[:2] - u * PUSH_OFFSET
    far = jnp.linalg.norm(behind - grip[:2]) > 0.01
    high = grip[2] > hover_z - 0.01
    # away from the push point: rise first, then fly over the object, then descend
    fly = jnp.where(
        far,
        jnp.where(
            high,
            jnp.append(behind - grip[:2], hover_z - grip[2]),
            jnp.array([0.0, 0.0, hover_z - grip[2]]),
        ),
        jnp.append(behind - grip[:2], push_z - grip[2]),
    )
    delta = jnp.where(in_line & low, push, fly)
    delta = jnp.where(dist < DONE_TOL, jnp.zeros(3), delta)
    return jnp.append(_move(delta), 0.0)


def _pick(grip, obj, goal, width) -> jax.Array:
    """Open, hover, descend around the cube, close, carry it to the goal."""
    rel = obj - grip
    near_xy = jnp.linalg.norm(rel[:2]) < 0.01
    at_object = near_xy & (jnp.abs(rel[2]) < 0.01)
    holding = (jnp.linalg.norm(rel) < 0.02) & (width < 0.055)
    opened = width > 0.07
    hover = obj + jnp.array([0.0, 0.0, HOVER_CLEARANCE])
    high = grip[2] > hover[2] - 0.01

    approach = jnp.where(
        near_xy & opened,
        rel,  # descend around the cube
        jnp.where(high, hover - grip, jnp.array([0.0, 0.0, hover[2] - grip[2]])),
    )
    carry = jnp.where(jnp.linalg.norm(goal - obj) < DONE_TOL, jnp.zeros(3), goal - obj)
    # at the cube: hold still while the fingers close (they only got there open)
    delta = jnp.where(holding, carry, jnp.where(at_object, jnp.zeros(3), approach))
    close = holding | at_object
    return jnp.append(_move(delta), jnp.where(close, -1.0, 1.0))
