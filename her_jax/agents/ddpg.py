"""DDPG with the reference HER settings (Plappert et al. 2018, openai baselines).

Deterministic tanh actor, one critic, Adam; the actor loss adds an L2 penalty
on its tanh output; critic targets use the target actor and critic, bootstrap
through every step and are clipped to [-1/(1 - gamma), 0]. As in the reference,
the actor's gradient goes through the critic as it was before this step's
update (`ddpg_actor_critic`).
"""

from __future__ import annotations

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
class DDPGState:
    actor: dict
    critic: dict
    target_actor: dict
    target_critic: dict
    actor_opt: optax.OptState
    critic_opt: optax.OptState


def make(config, input_size: int, action_size: int, gamma: float) -> Agent:
    actor_net = DeterministicActor(config.hidden, action_size)
    critic_net = Critic(config.hidden, n_critics=1)
    actor_tx, critic_tx = adam(config.lr_actor), adam(config.lr_critic)

    def init(key):
        actor, critic = init_actor_critic(key, actor_net, critic_net, input_size, action_size)
        return DDPGState(
            actor=actor,
            critic=critic,
            target_actor=actor,
            target_critic=critic,
            actor_opt=actor_tx.init(actor),
            critic_opt=critic_tx.init(critic),
        )

    def act(state, x, key, explore: bool):
        greedy = actor_net.apply(state.actor, x)
        if not explore:
            return greedy
        return explore_continuous(key, greedy, config.random_eps, config.noise_eps)

    def update(state, batch: Batch, key):
        del key
        next_q = critic_net.apply(
            state.target_critic, batch.x_next, actor_net.apply(state.target_actor, batch.x_next)
        )[0]
        target = td_target(batch.reward, next_q, gamma, config.clip_target)

        critic, critic_opt, critic_loss, q = regress_critic(
            critic_net, critic_tx, state.critic, state.critic_opt, batch, target
        )

        # the reference computes both gradients before applying either
        actor_critic = state.critic if config.ddpg_actor_critic == "before_update" else critic
        actor, actor_opt, actor_loss = deterministic_actor_step(
            actor_net, critic_net, actor_tx, state.actor, state.actor_opt, actor_critic, batch.x,
            config.action_l2,
        )  # fmt: skip
        state = state.replace(
            actor=actor, critic=critic, actor_opt=actor_opt, critic_opt=critic_opt
        )
        metrics = {"critic_loss": critic_loss, "actor_loss": actor_loss, "q_mean": jnp.mean(q)}
        return state, metrics

    def target_update(state):
        return state.replace(
            target_actor=polyak(state.target_actor, state.actor, config.polyak),
            target_critic=polyak(state.target_critic, state.critic, config.polyak),
        )

    return Agent(init=init, act=act, update=update, target_update=target_update)
