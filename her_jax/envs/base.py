"""The goal-environment contract shared by every task.

An environment is a stateless object with pure `reset(key) -> State` and
`step(state, action) -> State` (brax's Env shape); one call handles one
environment, `jax.vmap` makes many. Goals are explicit so that hindsight
relabelling can recompute rewards from stored arrays alone: the reward is
always `compute_reward(achieved_goal, desired_goal)` and never depends on
anything else.
"""

from __future__ import annotations

import abc
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

SUCCESS_AT = ("final", "any")


@struct.dataclass
class GoalObs:
    """What the agent sees: the observation and both goals."""

    observation: jax.Array  # [observation_size]
    achieved_goal: jax.Array  # [goal_size] what the current state achieves
    desired_goal: jax.Array  # [goal_size] the intended goal of this episode


@struct.dataclass
class State:
    """One environment's state after reset or step.

    `pipeline_state` is the task's own dynamic state (the bits of bit-flipping,
    an `mjx.Data` for the robot tasks). `info` always holds `is_success` and
    `invalid_action` (float 0/1), plus task-specific metrics; reset and step
    produce the same keys so that states can be carried through `lax.scan`.
    """

    pipeline_state: Any
    obs: GoalObs
    reward: jax.Array  # [] float32, == compute_reward(obs.achieved_goal, obs.desired_goal)
    t: jax.Array  # [] int32, steps taken in this episode
    rng: jax.Array  # key for in-episode randomness (observation noise); unused by some tasks
    info: dict[str, jax.Array] = struct.field(default_factory=dict)


class GoalEnv(abc.ABC):
    """A goal-conditioned task with fixed-length episodes and no termination.

    Episodes always run `episode_length` steps: reaching the goal does not end
    them (the time limit is a truncation), so stored episodes have equal length
    and every transition bootstraps.
    """

    #: True for a discrete action index in [0, action_size), False for a float
    #: vector in [-1, 1]^action_size.
    discrete: bool = False
    #: Which success the task reports: at the last step ("final") or at any step ("any").
    success_at: str = "final"
    #: The dtype the replay buffer keeps observations and goals in: float32, or a smaller
    #: type that holds every value exactly (bit-flipping's 0/1 bits fit uint8, a quarter of
    #: the memory); the learner sees them as float32 either way.
    storage_dtype: Any = jnp.float32

    @property
    @abc.abstractmethod
    def episode_length(self) -> int:
        """Steps per episode, T."""

    @property
    @abc.abstractmethod
    def observation_size(self) -> int:
        """Length of `obs.observation`."""

    @property
    @abc.abstractmethod
    def goal_size(self) -> int:
        """Length of `obs.achieved_goal` and `obs.desired_goal`."""

    @property
    @abc.abstractmethod
    def action_size(self) -> int:
        """Continuous: action dimensions. Discrete: number of actions."""

    @abc.abstractmethod
    def reset(self, key: jax.Array) -> State:
        """A fresh episode with a newly sampled goal."""

    #: Whether `reset_training` can start an episode elsewhere than `reset` does.
    has_training_starts: bool = False

    def reset_training(self, key: jax.Array) -> State:
        """A fresh training episode: `reset`'s, unless the task starts some training episodes
        from a state that eases exploration (pick-and-place's grasped cube). Evaluation
        always starts from `reset`, so success is measured on the task's own starts."""
        return self.reset(key)

    @abc.abstractmethod
    def step(self, state: State, action: jax.Array) -> State:
        """Advance one control step."""

    @abc.abstractmethod
    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        """Reward for reaching `achieved_goal` when `desired_goal` was wanted.

        Pure and broadcasting over leading axes: `[..., goal] -> [...]`, float32.
        """

    @abc.abstractmethod
    def is_success(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        """1.0 where the goal is reached, else 0.0; `[..., goal] -> [...]`, float32."""

    def goal_distance(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        """How far the achieved goal is from the desired one, `[..., goal] -> [...]`, float32:
        Euclidean unless the task measures otherwise. Evaluation reports it at the final
        step, which tells how near the misses come where success alone cannot."""
        diff = achieved_goal.astype(jnp.float32) - desired_goal.astype(jnp.float32)
        return jnp.linalg.norm(diff, axis=-1)
