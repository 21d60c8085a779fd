"""TD3 (Fujimoto et al. 2018) with the HER settings of DDPG.

Twin critics; the critic target takes the smaller of the two target critics at
the target actor's action plus clipped Gaussian smoothing noise, bootstraps
through every step and is clipped to [-1/(1 - gamma), 0]. The actor (loss
-Q1 plus the L2 penalty on its tanh output, as DDPG) moves once every
`td3_policy_delay` critic updates; the target networks follow the online ones
in `target_update`, which the training loop calls on its own schedule.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from flax import struct

from her_jax.agents.base import (
    Agent,
    Batch,
    adam,
    deterministic_actor_step,
    explore_continuous,
    init_actor_critic,
    polyak,
    regress_critic,
    td_target,
)
from her_jax.networks import Critic, DeterministicActor


@struct.dataclass
class TD3State:
    actor: dict
    critic: dict  # two stacked critics
    target_actor: dict
    target_critic: dict
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    step: jax.Array  # [] int32, critic updates so far


def make(config, input_size: int, action_size: int, gamma: float) -> Agent:
    actor_net = DeterministicActor(config.hidden, action_size)
    critic_net = Critic(config.hidden, n_critics=2)
    actor_tx, critic_tx = adam(config.lr_actor), adam(config.lr_critic)

    def init(key):
        actor, critic = init_actor_critic(key, actor_net, critic_net, input_size, action_size)
        return TD3State(
            actor=actor,
            critic=critic,
            target_actor=actor,
            target_critic=critic,
            actor_opt=actor_tx.init(actor),
            critic_opt=critic_tx.init(critic),
            step=jnp.zeros((), jnp.int32),
        )

    def act(state, x, key, explore: bool):
        """x: [..., in] -> actions [..., act] in [-1, 1]."""
        greedy = actor_net.apply(state.actor, x)
        if not explore:
            return greedy
        return explore_continuous(key, greedy, config.random_eps, config.noise_eps)

    def update(state, batch: Batch, key):
        # Target policy smoothing: the target is averaged over nearby actions, so
        # the critic cannot exploit a narrow peak of its own error.
        next_pi = actor_net.apply(state.target_actor, batch.x_next)  # [B, act]
        noise = jnp.clip(
            config.td3_target_noise * jax.random.normal(key, next_pi.shape),
            -config.td3_noise_clip,
            config.td3_noise_clip,
        )
        next_action = jnp.clip(next_pi + noise, -1.0, 1.0)
        next_q = jnp.min(critic_net.apply(state.target_critic, batch.x_next, next_action), axis=0)
        target = td_target(batch.reward, next_q, gamma, config.clip_target)  # [B]

        critic, critic_opt, critic_loss, q = regress_critic(
            critic_net, critic_tx, state.critic, state.critic_opt, batch, target
        )

        def actor_step(operand):
            actor, actor_opt = operand
            return deterministic_actor_step(
                actor_net, critic_net, actor_tx, actor, actor_opt, critic, batch.x,
                config.action_l2,
            )  # fmt: skip

        def actor_hold(operand):
            # The loss is still reported so the metric has a value on every step (XLA drops
            # the gradient this branch does not use).
            actor, actor_opt = operand
            return actor, actor_opt, actor_step(operand)[2]

        step = state.step + 1
        actor, actor_opt, actor_loss = jax.lax.cond(
            step % config.td3_policy_delay == 0,
            actor_step,
            actor_hold,
            (state.actor, state.actor_opt),
        )
        state = state.replace(
            actor=actor, critic=critic, actor_opt=actor_opt, critic_opt=critic_opt, step=step
        )
        metrics = {"critic_loss": critic_loss, "actor_loss": actor_loss, "q_mean": jnp.mean(q)}
        return state, metrics

    def target_update(state):
        return state.replace(
            target_actor=polyak(state.target_actor, state.actor, config.polyak),
            target_critic=polyak(state.target_critic, state.critic, config.polyak),
        )

    return Agent(init=init, act=act, update=update, target_update=target_update)
