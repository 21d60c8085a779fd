"""Flax modules: MLP torsos and the actor and critic heads built on them.

Every network takes one already-normalised input vector `x = [obs, goal]`.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLP(nn.Module):
    """ReLU hidden layers, then a linear output of `out` units."""

    hidden: Sequence[int]
    out: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for width in self.hidden:
            x = nn.relu(nn.Dense(width)(x))
        return nn.Dense(self.out)(x)


class DeterministicActor(nn.Module):
    """pi(x) in [-1, 1]^action_size (tanh output)."""

    hidden: Sequence[int]
    action_size: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.tanh(MLP(self.hidden, self.action_size)(x))


class Critic(nn.Module):
    """Q(x, a) -> [...]; `n_critics` independent copies stacked on a leading axis."""

    hidden: Sequence[int]
    n_critics: int = 1

    @nn.compact
    def __call__(self, x: jax.Array, action: jax.Array) -> jax.Array:
        stacked = nn.vmap(
            MLP,
            variable_axes={"params": 0},
            split_rngs={"params": True},
            in_axes=None,
            axis_size=self.n_critics,
        )
        q = stacked(self.hidden, 1)(jnp.concatenate([x, action], axis=-1))
        return q[..., 0]  # [n_critics, ...]


class GaussianActor(nn.Module):
    """Mean and log-std of a Gaussian, squashed by tanh when sampled (SAC)."""

    hidden: Sequence[int]
    action_size: int
    log_std_min: float = -5.0
    log_std_max: float = 2.0

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        out = MLP(self.hidden, 2 * self.action_size)(x)
        mean, log_std = jnp.split(out, 2, axis=-1)
        log_std = jnp.clip(log_std, self.log_std_min, self.log_std_max)
        return mean, log_std
