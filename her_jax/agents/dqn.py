"""Double DQN for discrete actions (bit-flipping).

Q(x) gives one value per action; the target evaluates the online network's
argmax with the target network (double DQN), bootstraps through every step
and is clipped to [-1/(1 - gamma), 0]. Exploration is epsilon-greedy with
epsilon = `random_eps`. The critic is an MLP with `hidden` layers (the paper:
one hidden layer of 256).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from flax import struct

from her_jax.agents.base import Agent, Batch, adam, polyak, td_target
from her_jax.networks import MLP


@struct.dataclass
class DQNState:
    q: dict
    target_q: dict
    opt: optax.OptState


def make(config, input_size: int, action_size: int, gamma: float) -> Agent:
    q_net = MLP(config.hidden, action_size)
    tx = adam(config.lr_critic)

    def init(key):
        q = q_net.init(key, jnp.zeros((1, input_size)))
        return DQNState(q=q, target_q=q, opt=tx.init(q))

    def act(state, x, key, explore: bool):
        greedy = jnp.argmax(q_net.apply(state.q, x), axis=-1)
        if not explore:
            return greedy
        k_coin, k_random = jax.random.split(key)
        coin = jax.random.uniform(k_coin, greedy.shape) < config.random_eps
        return jnp.where(coin, jax.random.randint(k_random, greedy.shape, 0, action_size), greedy)

    def update(state, batch: Batch, key):
        del key
        best_next = jnp.argmax(q_net.apply(state.q, batch.x_next), axis=-1)  # [B]
        next_q = jnp.take_along_axis(
            q_net.apply(state.target_q, batch.x_next), best_next[:, None], axis=-1
        )[:, 0]
        target = td_target(batch.reward, next_q, gamma, config.clip_target)

        def loss_fn(params):
            q_all = q_net.apply(params, batch.x)  # [B, actions]
            q = jnp.take_along_axis(q_all, batch.action[:, None].astype(jnp.int32), axis=-1)[:, 0]
            return jnp.mean((q - target) ** 2), q

        (loss, q), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.q)
        updates, opt = tx.update(grads, state.opt)
        state = state.replace(q=optax.apply_updates(state.q, updates), opt=opt)
        metrics = {"critic_loss": loss, "actor_loss": jnp.zeros(()), "q_mean": jnp.mean(q)}
        return state, metrics

    def target_update(state):
        return state.replace(target_q=polyak(state.target_q, state.q, config.polyak))

    return Agent(init=init, act=act, update=update, target_update=target_update)
