"""The four Fetch tasks: one `TaskSpec` row each, bound to a class.

Each class's keyword arguments are the overrides `her_jax.envs.make` accepts:

- `reward_type`: "sparse" (-1 until within `distance_threshold`, then 0) or
  "dense" (`-|g - ag|^dense_exponent`);
- `dense_exponent`: the exponent p of the dense reward (> 0);
- `distance_threshold`: success radius in metres (0.05 in the original tasks);
- `fixed_goal`: None (a goal sampled every episode) or an (x, y, z) target
  used by every episode;
- `obs_noise`: std (observation units) of Gaussian noise on the observation
  (never on the goals, so rewards stay exact);
- object tasks only, domain randomisation drawn once per episode:
  `mass_scale` and `friction_scale`, (low, high) ranges of a uniform
  multiplier of the object's mass (and inertia) and of the sliding friction
  of every contact it makes. All randomisation is off by default.
- pick-and-place only: `grasped_start_prob`, the share of training episodes
  (`reset_training`) that start with the cube held at the gripper's initial
  pose (the paper's 0.5; 0 by default, as in the reference).

Initial gripper positions are the settled ones of the original tasks (the
"gripper extra height" column is already folded into them).
"""

from __future__ import annotations

from her_jax.envs.fetch.env import FetchEnv, TaskSpec

_TABLE_TOP = 0.4
_Z_RANGE = (0.415, 0.95)  # workspace floor (fingertips clear the table) and ceiling

# push / pick-and-place / reach table: half-sizes 0.25 x 0.35 centred at (1.3, 0.75)
_SMALL_TABLE = dict(table_lo=(1.05, 0.40), table_hi=(1.55, 1.10))
_SMALL_WORKSPACE = dict(
    workspace_lo=(1.05, 0.40, _Z_RANGE[0]), workspace_hi=(1.55, 1.10, _Z_RANGE[1])
)
# slide table: half-sizes 0.625 x 0.45 centred at (1.324, 0.75)
_LONG_TABLE = dict(table_lo=(0.699, 0.30), table_hi=(1.949, 1.20))
_LONG_WORKSPACE = dict(
    workspace_lo=(0.699, 0.30, _Z_RANGE[0]), workspace_hi=(1.949, 1.20, _Z_RANGE[1])
)

REACH = TaskSpec(
    scene="reach",
    has_object=False,
    block_gripper=True,
    target_in_air=True,
    target_offset=(0.0, 0.0, 0.0),
    obj_range=0.15,
    target_range=0.15,
    initial_gripper=(1.342, 0.749, 0.535),
    object_z=0.4249,
    table_top=_TABLE_TOP,
    **_SMALL_TABLE,
    **_SMALL_WORKSPACE,
)
PUSH = TaskSpec(
    scene="push",
    has_object=True,
    block_gripper=True,
    target_in_air=False,
    target_offset=(0.0, 0.0, 0.0),
    obj_range=0.15,
    target_range=0.15,
    initial_gripper=(1.363, 0.749, 0.416),
    object_z=0.4249,
    table_top=_TABLE_TOP,
    **_SMALL_TABLE,
    **_SMALL_WORKSPACE,
)
SLIDE = TaskSpec(
    scene="slide",
    has_object=True,
    block_gripper=True,
    target_in_air=False,
    target_offset=(0.4, 0.0, 0.0),
    obj_range=0.10,
    target_range=0.30,
    initial_gripper=(1.013, 0.749, 0.416),
    object_z=0.42,
    table_top=_TABLE_TOP,
    **_LONG_TABLE,
    **_LONG_WORKSPACE,
)
PICK_AND_PLACE = TaskSpec(
    scene="push",
    has_object=True,
    block_gripper=False,
    target_in_air=True,
    target_offset=(0.0, 0.0, 0.0),
    obj_range=0.15,
    target_range=0.15,
    initial_gripper=(1.342, 0.749, 0.535),
    object_z=0.4249,
    table_top=_TABLE_TOP,
    **_SMALL_TABLE,
    **_SMALL_WORKSPACE,
)


class FetchReach(FetchEnv):
    """Move the gripper to a target in the air (fingers blocked); 10-d observation."""

    def __init__(
        self,
        reward_type: str = "sparse",
        dense_exponent: float = 1.0,
        distance_threshold: float = 0.05,
        fixed_goal: tuple[float, float, float] | None = None,
        obs_noise: float = 0.0,
    ):
        super().__init__(
            "fetch_reach",
            REACH,
            reward_type=reward_type,
            dense_exponent=dense_exponent,
            distance_threshold=distance_threshold,
            fixed_goal=fixed_goal,
            obs_noise=obs_noise,
        )


class _ObjectTask(FetchEnv):
    """A task with an object: the shared keyword overrides, bound to one spec."""

    _NAME: str
    _SPEC: TaskSpec

    def __init__(
        self,
        reward_type: str = "sparse",
        dense_exponent: float = 1.0,
        distance_threshold: float = 0.05,
        fixed_goal: tuple[float, float, float] | None = None,
        obs_noise: float = 0.0,
        mass_scale: tuple[float, float] = (1.0, 1.0),
        friction_scale: tuple[float, float] = (1.0, 1.0),
    ):
        super().__init__(
            self._NAME,
            self._SPEC,
            reward_type=reward_type,
            dense_exponent=dense_exponent,
            distance_threshold=distance_threshold,
            fixed_goal=fixed_goal,
            obs_noise=obs_noise,
            mass_scale=mass_scale,
            friction_scale=friction_scale,
        )


class FetchPush(_ObjectTask):
    """Push the cube to a target on the table (fingers blocked); 25-d observation."""

    _NAME, _SPEC = "fetch_push", PUSH


class FetchSlide(_ObjectTask):
    """Slide the puck across the low-friction table to a target out of easy reach."""

    _NAME, _SPEC = "fetch_slide", SLIDE


class FetchPickAndPlace(_ObjectTask):
    """Grasp the cube and bring it to a target on the table or, half the time, in the air."""

    _NAME, _SPEC = "fetch_pick_and_place", PICK_AND_PLACE

    def __init__(
        self,
        reward_type: str = "sparse",
        dense_exponent: float = 1.0,
        distance_threshold: float = 0.05,
        fixed_goal: tuple[float, float, float] | None = None,
        obs_noise: float = 0.0,
        mass_scale: tuple[float, float] = (1.0, 1.0),
        friction_scale: tuple[float, float] = (1.0, 1.0),
        grasped_start_prob: float = 0.0,
    ):
        # the object tasks' overrides and one of its own (which push and slide refuse)
        FetchEnv.__init__(
            self, self._NAME, self._SPEC, reward_type=reward_type, dense_exponent=dense_exponent,
            distance_threshold=distance_threshold, fixed_goal=fixed_goal, obs_noise=obs_noise,
            mass_scale=mass_scale, friction_scale=friction_scale,
            grasped_start_prob=grasped_start_prob,
        )  # fmt: skip
