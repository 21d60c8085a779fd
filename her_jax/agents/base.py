"""What every learner provides, and the small pieces they share.

A learner is a bundle of pure functions over its own dataclass state:

    state = agent.init(key)
    action = agent.act(state, x, key, explore)      # x: normalised [obs, goal], [..., in]
    state, metrics = agent.update(state, batch, key)
    state = agent.target_update(state)              # polyak step of the target networks

`metrics` holds scalar `critic_loss`, `actor_loss` and `q_mean`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from flax import struct


@struct.dataclass
class Batch:
    """Normalised training inputs of one gradient step."""

    x: jax.Array  # [B, in] normalised [obs, goal]
    action: jax.Array  # [B, act] float in [-1, 1], or [B] int
    reward: jax.Array  # [B]
    x_next: jax.Array  # [B, in] normalised [next_obs, goal]


class Agent(NamedTuple):
    init: Callable[[jax.Array], Any]
    act: Callable[..., jax.Array]
    update: Callable[..., tuple[Any, dict]]
    target_update: Callable[[Any], Any]


def polyak(target, online, coefficient: float):
    """`coefficient * target + (1 - coefficient) * online`, leaf by leaf."""
    return jax.tree.map(lambda t, o: coefficient * t + (1.0 - coefficient) * o, target, online)


def td_target(reward, next_value, gamma: float, clip: bool) -> jax.Array:
    """`r + gamma * V(s')`, bootstrapping through every step (time limits truncate, never end).

    With `clip`, the target is kept in [-1/(1 - gamma), 0], the range of
    returns of rewards in [-1, 0].
    """
    target = reward + gamma * next_value
    if clip:
        target = jnp.clip(target, -1.0 / (1.0 - gamma), 0.0)
    return jax.lax.stop_gradient(target)


def init_actor_critic(key, actor_net, critic_net, input_size: int, action_size: int):
    """Fresh actor and critic parameters, built from zero inputs of the right sizes."""
    k_actor, k_critic = jax.random.split(key)
    x, a = jnp.zeros((1, input_size)), jnp.zeros((1, action_size))
    return actor_net.init(k_actor, x), critic_net.init(k_critic, x, a)


def deterministic_actor_step(actor_net, critic_net, tx, params, opt_state, critic, x, action_l2):
    """One Adam step of a deterministic actor (DDPG, TD3) up the first critic.

    The loss is `-Q1(x, pi(x))` plus `action_l2` times the mean square of the
    tanh output, which keeps actions off the saturated ends. Returns
    `(params, opt_state, loss)`, the loss before the step.
    """

    def loss_fn(p):
        pi = actor_net.apply(p, x)
        return -jnp.mean(critic_net.apply(critic, x, pi)[0]) + action_l2 * jnp.mean(pi**2)

    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss


def regress_critic(critic_net, tx, params, opt_state, batch: Batch, target: jax.Array):
    """One Adam step of the critic(s) towards `target [B]` by mean squared error.

    Returns `(params, opt_state, loss, q)` with `q [n_critics, B]` before the
    step; the loss averages over the stacked critics, so one or two critics
    report on the same scale.
    """

    def loss_fn(p):
        q = critic_net.apply(p, batch.x, batch.action)  # [n_critics, B]
        return jnp.mean((q - target) ** 2), q

    (loss, q), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss, q


def adam(learning_rate: float) -> optax.GradientTransformation:
    return optax.adam(learning_rate)


def explore_continuous(key, greedy, random_eps: float, noise_std: float) -> jax.Array:
    """Gaussian noise on the greedy action, and with probability `random_eps` a uniform one."""
    k_noise, k_coin, k_uniform = jax.random.split(key, 3)
    noisy = jnp.clip(greedy + noise_std * jax.random.normal(k_noise, greedy.shape), -1.0, 1.0)
    uniform = jax.random.uniform(k_uniform, greedy.shape, minval=-1.0, maxval=1.0)
    coin = jax.random.uniform(k_coin, greedy.shape[:-1] + (1,)) < random_eps
    return jnp.where(coin, uniform, noisy)
