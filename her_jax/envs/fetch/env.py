"""The Fetch task machinery shared by reach, push, slide and pick-and-place.

One `FetchEnv` runs any of the four tasks; a frozen `TaskSpec` holds the row
of Gymnasium-Robotics v4's Fetch task table and `tasks.py` binds each row to a
class. Everything in `reset` and `step` is pure JAX over one environment:
`jax.vmap` makes many.

Control (25 Hz): the 4-d action in [-1, 1] moves the mocap target to the
current gripper position plus 0.05 m per unit per axis, clipped to a workspace
box above the table, and sets both finger targets to their current positions
plus the 4th component (`ctrl = qpos + a`). Tasks with blocked fingers hold
them closed at 0, which is where the zeroed command of the original tasks
keeps them (they start closed and nothing opens them).

Observation (`observation_layout` names the slices): gripper position (3),
object position (3), object position relative to the gripper (3), finger
positions (2, right then left), object rotation (3, x-y-z Euler angles of the
world frame), object linear velocity relative to the gripper (3), object
angular velocity (3, world frame), gripper linear velocity (3), finger
velocities (2). Velocities are multiplied by the control period, so they are
displacements per step. Reach keeps gripper position, fingers, gripper
velocity and finger velocities (10).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from mujoco import mjx

from her_jax.envs.base import GoalEnv, GoalObs, State
from her_jax.envs.fetch import scene as scene_lib
from her_jax.errors import ConfigError

MAX_MOVE = 0.05  # m of mocap displacement per unit action per step
FINGER_CTRL_MAX = 0.2  # upper end of the finger actuators' ctrlrange
MIN_OBJECT_DIST = 0.1  # m between the initial gripper and object xy
OBJECT_CANDIDATES = 64  # vectorised redraws of the object position (see _sample_object)
REWARD_TYPES = ("sparse", "dense")
FELL_MARGIN = 0.02  # m below the table top at which the object counts as fallen
DR_SOLVER_ITERATIONS = 4  # Newton iterations under domain randomisation (FetchEnv._model)
PRESS_MARGIN = 0.005  # m below the workspace floor a target must be asked for to count as pressing
# Each finger's joint position that puts its inner face on a side of the 5 cm cube: half the
# cube less the 0.9 mm each face sits off the grip point's midplane at joint 0 (gripper.xml).
GRASPED_FINGERS = 0.025 - 0.0009


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """One row of the Fetch task table, in metres (world frame).

    `workspace_lo` / `workspace_hi` bound the mocap target. The floor sits
    15 mm above the table top, where the fingertips (14 mm below the grip
    point) just clear it.
    """

    scene: str
    has_object: bool
    block_gripper: bool
    target_in_air: bool
    target_offset: tuple[float, float, float]
    obj_range: float
    target_range: float
    initial_gripper: tuple[float, float, float]
    object_z: float  # resting height of the object's centre; also the goal height
    table_top: float
    table_lo: tuple[float, float]  # xy corner of the table top
    table_hi: tuple[float, float]
    workspace_lo: tuple[float, float, float]
    workspace_hi: tuple[float, float, float]


def validate_common(
    name: str,
    reward_type: str,
    dense_exponent: float,
    distance_threshold: float,
    fixed_goal,
    obs_noise: float,
) -> tuple[float, float, float] | None:
    """Raise ValueError for bad shared overrides; return `fixed_goal` as a float tuple."""
    if reward_type not in REWARD_TYPES:
        raise ConfigError(
            f"{name}: reward_type must be one of {', '.join(REWARD_TYPES)}, got {reward_type!r}"
        )
    for key, value in (
        ("dense_exponent", dense_exponent),
        ("distance_threshold", distance_threshold),
    ):
        if not _is_real(value) or not np.isfinite(value) or value <= 0:
            raise ConfigError(f"{name}: {key} must be a finite number > 0, got {value!r}")
    if not _is_real(obs_noise) or not np.isfinite(obs_noise) or obs_noise < 0:
        raise ConfigError(f"{name}: obs_noise must be a finite number >= 0, got {obs_noise!r}")
    if fixed_goal is None:
        return None
    try:
        goal = tuple(float(v) for v in fixed_goal)
    except (TypeError, ValueError):
        goal = ()
    if len(goal) != 3 or not all(np.isfinite(goal)):
        raise ConfigError(
            f"{name}: fixed_goal must be None or 3 finite numbers (x, y, z), got {fixed_goal!r}"
        )
    return goal


def validate_scale(name: str, key: str, value) -> tuple[float, float]:
    """A (low, high) multiplier range with 0 < low <= high, as floats."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        lo = hi = float("nan")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise ConfigError(f"{name}: {key} must be (low, high) with 0 < low <= high, got {value!r}")
    return lo, hi


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)


def _quat_to_euler(q: jax.Array) -> jax.Array:
    """wxyz unit quaternion [4] -> x-y-z Euler angles [3] (rad), as Gymnasium's mat2euler."""
    w, x, y, z = q
    roll = jnp.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = jnp.arcsin(jnp.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = jnp.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return jnp.stack([roll, pitch, yaw])


def _rotate(q: jax.Array, v: jax.Array) -> jax.Array:
    """Rotate v [3] by the wxyz unit quaternion q [4]."""
    u, w = q[1:], q[0]
    return v + 2 * jnp.cross(u, jnp.cross(u, v) + w * v)


class FetchEnv(GoalEnv):
    """A Fetch task on MJX: see the module docstring for the spaces."""

    discrete = False
    success_at = "final"

    def __init__(
        self,
        name: str,
        spec: TaskSpec,
        *,
        reward_type: str,
        dense_exponent: float,
        distance_threshold: float,
        fixed_goal,
        obs_noise: float,
        mass_scale: tuple[float, float] = (1.0, 1.0),
        friction_scale: tuple[float, float] = (1.0, 1.0),
        grasped_start_prob: float = 0.0,
    ):
        self.name = name
        self.spec = spec
        self.fixed_goal = validate_common(
            name, reward_type, dense_exponent, distance_threshold, fixed_goal, obs_noise
        )
        self.reward_type = reward_type
        self.dense_exponent = float(dense_exponent)
        self.distance_threshold = float(distance_threshold)
        self.obs_noise = float(obs_noise)
        self.mass_scale = validate_scale(name, "mass_scale", mass_scale)
        self.friction_scale = validate_scale(name, "friction_scale", friction_scale)
        if not _is_real(grasped_start_prob) or not 0 <= grasped_start_prob <= 1:
            raise ConfigError(
                f"{name}: grasped_start_prob must lie in [0, 1], got {grasped_start_prob!r}"
            )
        if grasped_start_prob and (spec.block_gripper or not spec.has_object):
            raise ConfigError(f"{name}: grasped_start_prob needs a cube and fingers that move")
        self.grasped_start_prob = float(grasped_start_prob)
        self.has_training_starts = self.grasped_start_prob > 0
        self.scene = scene_lib.load_scene(spec.scene)

    # ----------------------------------------------------------------- sizes

    @property
    def episode_length(self) -> int:
        return 50

    @property
    def observation_size(self) -> int:
        return 25 if self.spec.has_object else 10

    @property
    def goal_size(self) -> int:
        return 3

    @property
    def action_size(self) -> int:
        return 4

    @property
    def observation_layout(self) -> dict[str, slice]:
        """Name -> slice of `obs.observation`, in order."""
        if self.spec.has_object:
            sizes = (
                ("grip_pos", 3),
                ("object_pos", 3),
                ("object_rel_pos", 3),
                ("fingers", 2),
                ("object_rot", 3),
                ("object_velp", 3),
                ("object_velr", 3),
                ("grip_velp", 3),
                ("finger_vel", 2),
            )
        else:
            sizes = (("grip_pos", 3), ("fingers", 2), ("grip_velp", 3), ("finger_vel", 2))
        layout, start = {}, 0
        for key, size in sizes:
            layout[key] = slice(start, start + size)
            start += size
        return layout

    # --------------------------------------------------------------- rewards

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        d = self.goal_distance(achieved_goal, desired_goal)
        if self.reward_type == "sparse":
            return -(d > self.distance_threshold).astype(jnp.float32)
        return -(d**self.dense_exponent).astype(jnp.float32)

    def is_success(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        d = self.goal_distance(achieved_goal, desired_goal)
        return (d < self.distance_threshold).astype(jnp.float32)

    # ----------------------------------------------------------------- reset

    def reset(self, key: jax.Array) -> State:
        """Fresh episode: gripper at its initial pose, object and goal sampled.

        `State.rng` keeps one key for the whole episode: domain randomisation
        draws from it once and observation noise folds in the step count.
        """
        return self._reset(key, grasped=None)

    def reset_training(self, key: jax.Array) -> State:
        """`reset`'s episode of the same key, but with probability `grasped_start_prob` the
        cube starts held between the closed fingers at the gripper's initial pose: one fixed
        grasped state, as the paper started half of pick-and-place's training episodes. The
        fingers then hold it while the policy keeps closing them (gripper action < 0)."""
        if not self.has_training_starts:
            return self.reset(key)
        u = jax.random.uniform(jax.random.fold_in(key, 1))  # apart from reset's split of key
        return self._reset(key, grasped=u < self.grasped_start_prob)

    def _reset(self, key: jax.Array, grasped: jax.Array | None) -> State:
        key, k_obj, k_goal = jax.random.split(key, 3)
        spec, sc = self.spec, self.scene
        grip0 = jnp.asarray(spec.initial_gripper, jnp.float32)
        qpos = jnp.asarray(sc.mj_model.qpos0, jnp.float32)
        qpos = qpos.at[sc.gripper_qpos : sc.gripper_qpos + 7].set(
            jnp.concatenate([grip0, jnp.array([1.0, 0.0, 0.0, 0.0])])
        )
        qpos = qpos.at[jnp.array(sc.finger_qpos)].set(0.0)
        if spec.has_object:
            obj_xy = self._sample_object(k_obj, grip0[:2])
            obj = jnp.concatenate([obj_xy, jnp.array([spec.object_z, 1.0, 0.0, 0.0, 0.0])])
            if grasped is not None:
                held = jnp.concatenate([grip0, jnp.array([1.0, 0.0, 0.0, 0.0])])
                obj = jnp.where(grasped, held, obj)
                fingers = jnp.where(grasped, GRASPED_FINGERS, 0.0)
                qpos = qpos.at[jnp.array(sc.finger_qpos)].set(fingers)
            qpos = qpos.at[sc.object_qpos : sc.object_qpos + 7].set(obj)
        data = mjx.make_data(sc.mjx_model).replace(
            qpos=qpos,
            mocap_pos=grip0[None],
            ctrl=jnp.zeros(sc.mj_model.nu),
        )
        goal = self._sample_goal(k_goal, grip0)
        zero = jnp.zeros(())
        metrics = {"action_clipped": zero, "object_fell": zero, "gripper_press": zero}
        return self._state(data, goal, jnp.zeros((), jnp.int32), key, zero, metrics)

    def _sample_object(self, key: jax.Array, grip_xy: jax.Array) -> jax.Array:
        """Object xy [2]: gripper xy + U(-r, r)^2, at least MIN_OBJECT_DIST away.

        Draws OBJECT_CANDIDATES offsets at once and keeps the first far
        enough (the rejection loop of the original, unrolled). If none is (for
        slide, p ~ 0.785^64 < 1e-6), the first is pushed out to the minimum
        distance along its direction.
        """
        r = self.spec.obj_range
        offsets = jax.random.uniform(key, (OBJECT_CANDIDATES, 2), minval=-r, maxval=r)
        norms = jnp.linalg.norm(offsets, axis=-1)
        ok = norms >= MIN_OBJECT_DIST
        first = jnp.argmax(ok)  # index of the first valid candidate, 0 if none
        fallback = offsets[0] * MIN_OBJECT_DIST / jnp.maximum(norms[0], 1e-6)
        return grip_xy + jnp.where(ok.any(), offsets[first], fallback)

    def sample_goal(self, key: jax.Array) -> jax.Array:
        """One desired goal [3] from the task's goal distribution (`fixed_goal` if set)."""
        return self._sample_goal(key, jnp.asarray(self.spec.initial_gripper, jnp.float32))

    def _sample_goal(self, key: jax.Array, grip0: jax.Array) -> jax.Array:
        """Desired goal [3] of a new episode, sampled as Gymnasium-Robotics v4 does."""
        spec = self.spec
        if self.fixed_goal is not None:
            return jnp.asarray(self.fixed_goal, jnp.float32)
        k_xyz, k_air, k_h = jax.random.split(key, 3)
        r = spec.target_range
        goal = grip0 + jax.random.uniform(k_xyz, (3,), minval=-r, maxval=r)
        goal = goal + jnp.asarray(spec.target_offset, jnp.float32)
        if not spec.has_object:
            return goal
        z = jnp.float32(spec.object_z)
        if spec.target_in_air:
            lift = jax.random.uniform(k_h, (), minval=0.0, maxval=0.45)
            z = z + jnp.where(jax.random.uniform(k_air, ()) < 0.5, lift, 0.0)
        return goal.at[2].set(z)

    # ------------------------------------------------------------------ step

    def step(self, state: State, action: jax.Array) -> State:
        """One 40 ms control step; action [4] in [-1, 1] (NaN/inf -> 0, flagged)."""
        spec, sc = self.spec, self.scene
        action = jnp.asarray(action, jnp.float32)
        finite = jnp.isfinite(action)
        invalid = (~finite).any().astype(jnp.float32)
        action = jnp.where(finite, action, 0.0)  # a NaN must never reach the physics
        clipped = (jnp.abs(action) > 1.0).any().astype(jnp.float32)
        action = jnp.clip(action, -1.0, 1.0)

        data = state.pipeline_state
        grip = data.qpos[sc.gripper_qpos : sc.gripper_qpos + 3]
        lo = jnp.asarray(spec.workspace_lo, jnp.float32)
        hi = jnp.asarray(spec.workspace_hi, jnp.float32)
        wanted = grip + MAX_MOVE * action[:3]
        target = jnp.clip(wanted, lo, hi)
        # pressing: driving the fingertips into the table, which the workspace floor stops
        press = (wanted[2] < lo[2] - PRESS_MARGIN).astype(jnp.float32)
        fingers = data.qpos[jnp.array(sc.finger_qpos)]
        if spec.block_gripper:
            ctrl = jnp.zeros(2)
        else:
            ctrl = jnp.clip(fingers + action[3], 0.0, FINGER_CTRL_MAX)
        data = data.replace(mocap_pos=target[None], ctrl=ctrl)

        model = self._model(state.rng)
        data = jax.lax.fori_loop(0, sc.n_substeps, lambda _, d: mjx.step(model, d), data)

        fell = jnp.zeros(())
        if spec.has_object:
            obj_z = data.qpos[sc.object_qpos + 2]
            fell = (obj_z < spec.table_top - FELL_MARGIN).astype(jnp.float32)
        metrics = {"action_clipped": clipped, "object_fell": fell, "gripper_press": press}
        return self._state(data, state.obs.desired_goal, state.t + 1, state.rng, invalid, metrics)

    @property
    def randomised(self) -> bool:
        """Whether episodes draw their own object mass and friction."""
        return self.spec.has_object and (self.mass_scale, self.friction_scale) != ((1, 1), (1, 1))

    def _model(self, rng: jax.Array) -> mjx.Model:
        """The MJX model of this episode: the shared one, or per-episode object mass/friction."""
        model = self.scene.mjx_model
        if not self.randomised:
            return model
        # The scenes' 2 Newton iterations were checked for the tasks' own masses and
        # frictions only. With both scaled up (a slide puck of 1.38 times the mass on 1.47
        # times the friction), 2 iterations stop a sliding puck dead within two steps, where
        # MuJoCo's C engine and MJX with 4 iterations decelerate it at friction times g.
        model = model.replace(opt=model.opt.replace(iterations=DR_SOLVER_ITERATIONS))
        k_mass, k_fric = jax.random.split(jax.random.fold_in(rng, 0))
        mass = jax.random.uniform(k_mass, (), minval=self.mass_scale[0], maxval=self.mass_scale[1])
        fric = jax.random.uniform(
            k_fric, (), minval=self.friction_scale[0], maxval=self.friction_scale[1]
        )
        body = self.scene.object_body
        pairs = jnp.array(self.scene.object_pairs)
        return model.replace(
            body_mass=model.body_mass.at[body].multiply(mass),
            body_inertia=model.body_inertia.at[body].multiply(mass),
            pair_friction=model.pair_friction.at[pairs, :2].multiply(fric),
        )

    # ----------------------------------------------------------- observation

    def _state(self, data, goal, t, rng, invalid, metrics) -> State:
        obs, achieved = self._observe(data)
        if self.obs_noise > 0:
            # step 0 draws from fold_in(rng, 1); fold_in(rng, 0) is the randomisation's
            k_noise = jax.random.fold_in(rng, t + 1)
            obs = obs + self.obs_noise * jax.random.normal(k_noise, obs.shape)
        reward = self.compute_reward(achieved, goal)
        info = {
            "is_success": self.is_success(achieved, goal),
            "invalid_action": invalid,
            **metrics,
        }
        return State(
            pipeline_state=data,
            obs=GoalObs(observation=obs, achieved_goal=achieved, desired_goal=goal),
            reward=reward,
            t=t,
            rng=rng,
            info=info,
        )

    def _observe(self, data: mjx.Data) -> tuple[jax.Array, jax.Array]:
        """(observation [observation_size], achieved goal [3]) from qpos / qvel."""
        sc, dt = self.scene, scene_lib.CONTROL_DT
        grip = data.qpos[sc.gripper_qpos : sc.gripper_qpos + 3]
        grip_velp = data.qvel[sc.gripper_qvel : sc.gripper_qvel + 3] * dt
        fingers = data.qpos[jnp.array(sc.finger_qpos)]
        finger_vel = data.qvel[jnp.array(sc.finger_qvel)] * dt
        if not self.spec.has_object:
            return jnp.concatenate([grip, fingers, grip_velp, finger_vel]), grip
        obj = data.qpos[sc.object_qpos : sc.object_qpos + 3]
        quat = data.qpos[sc.object_qpos + 3 : sc.object_qpos + 7]
        velp = data.qvel[sc.object_qvel : sc.object_qvel + 3] * dt
        # free-joint angular velocity is in the body frame; the observation uses the world's
        velr = _rotate(quat, data.qvel[sc.object_qvel + 3 : sc.object_qvel + 6]) * dt
        obs = jnp.concatenate(
            [
                grip,
                obj,
                obj - grip,
                fingers,
                _quat_to_euler(quat),
                velp - grip_velp,
                velr,
                grip_velp,
                finger_vel,
            ]
        )
        return obs, obj
