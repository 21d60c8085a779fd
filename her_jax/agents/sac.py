"""Soft actor-critic (Haarnoja et al. 2018) with a learned temperature.

The policy is a Gaussian squashed by tanh, so its actions lie in [-1, 1].
Twin critics; the soft target is

    r + gamma * (min_i Q_targ_i(x', a') - alpha * log pi(a' | x')),  a' ~ pi(. | x')

bootstrapped through every step and, with `clip_target`, clipped to
[-1/(1 - gamma), 0]. The temperature alpha = exp(log_alpha) is learned with
`lr_actor` towards a policy entropy of `sac_target_entropy` (default
-action_size). Exploring acts sample the policy, or with probability
`sac_random_eps` take a uniform action; deterministic acts take tanh(mean).
`target_update` moves only the target critics (SAC keeps no target actor).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import optax
from flax import struct

from her_jax.agents.base import (
    Agent,
    Batch,
    adam,
    explore_continuous,
    init_actor_critic,
    polyak,
    regress_critic,
    td_target,
)
from her_jax.networks import Critic, GaussianActor


@struct.dataclass
class SACState:
    actor: dict
    critic: dict  # two stacked critics
    target_critic: dict
    log_alpha: jax.Array  # [] log temperature
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    alpha_opt: optax.OptState


def tanh_gaussian_log_prob(mean, log_std, pre_tanh) -> jax.Array:
    """log pi(tanh(u)) of a diagonal Gaussian in u squashed by tanh.

    mean, log_std, pre_tanh: [..., act] -> [...]. The change of variables
    subtracts log(1 - tanh(u)^2), written as 2 (log 2 - u - softplus(-2u)),
    which stays finite where tanh(u) rounds to +/-1.
    """
    z = (pre_tanh - mean) * jnp.exp(-log_std)
    gaussian = -0.5 * z**2 - log_std - 0.5 * math.log(2.0 * math.pi)
    log_det = 2.0 * (math.log(2.0) - pre_tanh - jax.nn.softplus(-2.0 * pre_tanh))
    return jnp.sum(gaussian - log_det, axis=-1)


def sample_tanh_gaussian(key, mean, log_std) -> tuple[jax.Array, jax.Array]:
    """A reparameterised sample: actions [..., act] in [-1, 1] and their log-prob [...]."""
    pre_tanh = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return jnp.tanh(pre_tanh), tanh_gaussian_log_prob(mean, log_std, pre_tanh)


def make(config, input_size: int, action_size: int, gamma: float) -> Agent:
    actor_net = GaussianActor(config.hidden, action_size)
    critic_net = Critic(config.hidden, n_critics=2)
    actor_tx, critic_tx = adam(config.lr_actor), adam(config.lr_critic)
    alpha_tx = adam(config.lr_actor)
    target_entropy = (
        -float(action_size) if config.sac_target_entropy is None else config.sac_target_entropy
    )

    def init(key):
        actor, critic = init_actor_critic(key, actor_net, critic_net, input_size, action_size)
        log_alpha = jnp.log(jnp.asarray(config.sac_init_alpha, jnp.float32))
        return SACState(
            actor=actor,
            critic=critic,
            target_critic=critic,
            log_alpha=log_alpha,
            actor_opt=actor_tx.init(actor),
            critic_opt=critic_tx.init(critic),
            alpha_opt=alpha_tx.init(log_alpha),
        )

    def act(state, x, key, explore: bool):
        """x: [..., in] -> actions [..., act] in [-1, 1]."""
        mean, log_std = actor_net.apply(state.actor, x)
        if not explore:
            return jnp.tanh(mean)
        sample = sample_tanh_gaussian(key, mean, log_std)[0]
        if config.sac_random_eps == 0.0:  # the policy's samples only (the same draws as before)
            return sample
        return explore_continuous(jax.random.fold_in(key, 1), sample, config.sac_random_eps, 0.0)

    def update(state, batch: Batch, key):
        k_next, k_pi = jax.random.split(key)
        alpha = jnp.exp(state.log_alpha)

        next_action, next_logp = sample_tanh_gaussian(
            k_next, *actor_net.apply(state.actor, batch.x_next)
        )
        next_q = jnp.min(critic_net.apply(state.target_critic, batch.x_next, next_action), axis=0)
        target = td_target(batch.reward, next_q - alpha * next_logp, gamma, config.clip_target)

        critic, critic_opt, critic_loss, q = regress_critic(
            critic_net, critic_tx, state.critic, state.critic_opt, batch, target
        )

        def actor_loss_fn(params):
            action, logp = sample_tanh_gaussian(k_pi, *actor_net.apply(params, batch.x))
            q_pi = jnp.min(critic_net.apply(critic, batch.x, action), axis=0)
            return jnp.mean(alpha * logp - q_pi), logp

        (actor_loss, logp), grads = jax.value_and_grad(actor_loss_fn, has_aux=True)(state.actor)
        updates, actor_opt = actor_tx.update(grads, state.actor_opt)
        actor = optax.apply_updates(state.actor, updates)

        # Raises alpha while the entropy -logp is below its target and lowers it above.
        entropy_gap = jax.lax.stop_gradient(logp + target_entropy)  # [B]
        alpha_grad = jax.grad(lambda la: -jnp.mean(la * entropy_gap))(state.log_alpha)
        updates, alpha_opt = alpha_tx.update(alpha_grad, state.alpha_opt)
        log_alpha = optax.apply_updates(state.log_alpha, updates)

        state = state.replace(
            actor=actor,
            critic=critic,
            log_alpha=log_alpha,
            actor_opt=actor_opt,
            critic_opt=critic_opt,
            alpha_opt=alpha_opt,
        )
        metrics = {
            "critic_loss": critic_loss,
            "actor_loss": actor_loss,
            "q_mean": jnp.mean(q),
            "alpha": alpha,
            "entropy": -jnp.mean(logp),
        }
        return state, metrics

    def target_update(state):
        return state.replace(target_critic=polyak(state.target_critic, state.critic, config.polyak))

    return Agent(init=init, act=act, update=update, target_update=target_update)
