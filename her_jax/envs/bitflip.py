"""The bit-flipping toy of the HER paper (Andrychowicz et al. 2017, section 3.1).

State and goal are n bits; action i flips bit i. Episodes last n steps
whatever happens (the dynamics ignore the goal, which is what makes
relabelling valid), the reward is -1 until state == goal and 0 there, and an
episode succeeds if the goal is hit at any step: every action flips exactly one
bit, so final-step success is capped near 0.5 by parity.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from her_jax.envs.base import GoalEnv, GoalObs, State
from her_jax.errors import ConfigError

MAX_BITS = 1024


class BitFlip(GoalEnv):
    """n-bit flipping with discrete actions.

    An action index outside [0, n_bits) is invalid: it flips no bit (the state
    is unchanged, time still advances) and sets `info["invalid_action"] = 1`.
    """

    discrete = True
    success_at = "any"
    storage_dtype = jnp.uint8  # bits are 0.0 or 1.0: exact in a byte

    def __init__(self, n_bits: int = 10):
        if not isinstance(n_bits, int) or isinstance(n_bits, bool) or not 1 <= n_bits <= MAX_BITS:
            raise ConfigError(f"bitflip: n_bits must be an int in [1, {MAX_BITS}], got {n_bits!r}")
        self.n_bits = n_bits

    @property
    def episode_length(self) -> int:
        return self.n_bits

    @property
    def observation_size(self) -> int:
        return self.n_bits

    @property
    def goal_size(self) -> int:
        return self.n_bits

    @property
    def action_size(self) -> int:
        return self.n_bits

    def compute_reward(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        return self.is_success(achieved_goal, desired_goal) - 1.0

    def is_success(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        return jnp.all(achieved_goal == desired_goal, axis=-1).astype(jnp.float32)

    def goal_distance(self, achieved_goal: jax.Array, desired_goal: jax.Array) -> jax.Array:
        """Hamming distance: the number of bits still to flip."""
        return jnp.sum(achieved_goal != desired_goal, axis=-1).astype(jnp.float32)

    def _state(self, bits, goal, t, rng, invalid) -> State:
        obs = GoalObs(observation=bits, achieved_goal=bits, desired_goal=goal)
        return State(
            pipeline_state=bits,
            obs=obs,
            reward=self.compute_reward(bits, goal),
            t=t,
            rng=rng,
            info={"is_success": self.is_success(bits, goal), "invalid_action": invalid},
        )

    def reset(self, key: jax.Array) -> State:
        key, k_bits, k_goal = jax.random.split(key, 3)
        bits = jax.random.bernoulli(k_bits, 0.5, (self.n_bits,)).astype(jnp.float32)
        goal = jax.random.bernoulli(k_goal, 0.5, (self.n_bits,)).astype(jnp.float32)
        return self._state(bits, goal, jnp.zeros((), jnp.int32), key, jnp.zeros(()))

    def step(self, state: State, action: jax.Array) -> State:
        action = jnp.asarray(action)
        valid = (action >= 0) & (action < self.n_bits)
        flip = jax.nn.one_hot(action, self.n_bits) * valid  # one_hot of an invalid index is 0s
        bits = jnp.abs(state.pipeline_state - flip)
        invalid = (~valid).astype(jnp.float32)
        return self._state(bits, state.obs.desired_goal, state.t + 1, state.rng, invalid)
