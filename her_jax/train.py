"""The fully jitted HER training loop: `make_train(config)` gives `init` and `epoch`.

One epoch (all inside jit) is `cycles_per_epoch` cycles of

  1. roll out one exploring episode in each of `num_envs` environments,
  2. add them to the device buffer,
  3. update the observation and goal normaliser,
  4. `updates_per_cycle` gradient steps on relabelled batches, with a polyak
     target update every `target_update_interval` steps,

then one evaluation of the deterministic online policy on `eval_envs` fresh
episodes with their intended goals. The evaluation runs as the last
ceil(eval_envs / num_envs) steps of the cycle scan, rollouts of the same
`num_envs` environments, so the environment (the costliest part of the
program to compile) is traced and compiled once.

Many seeds, strategies or k values (the members) train as one program, since
the strategy and relabel probability are data in `TrainState`: `init` makes
one member's state (`jax.vmap` it), and `epoch` takes every member's, stacked.
The epoch maps the learner over members with `jax.vmap`, but steps all
members' environments as one flat batch, which traces the physics once
rather than once per `vmap`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from her_jax import envs, evaluate, her, normalizer, replay
from her_jax.agents import make_agent
from her_jax.agents.base import Agent, Batch
from her_jax.config import TrainConfig, validate, validate_for_env
from her_jax.envs.base import GoalEnv
from her_jax.rollout import nonfinite_rows, run_member_episodes


@struct.dataclass
class TrainState:
    agent: Any
    norm: normalizer.Normalizer
    buffer: replay.BufferState
    key: jax.Array
    strategy: jax.Array  # [] int32 index into her.STRATEGIES
    relabel_prob: jax.Array  # [] float32
    env_steps: jax.Array  # [] int32
    updates: jax.Array  # [] int32
    epoch: jax.Array  # [] int32, epochs completed


class Trainer(NamedTuple):
    config: TrainConfig
    env: GoalEnv
    agent: Agent
    num_epochs: int
    steps_per_epoch: int
    updates_per_epoch: int
    capacity_episodes: int
    init: Any  # (key, strategy, relabel_prob) -> TrainState of one member
    epoch: Any  # (TrainState of every member) -> (TrainState, metrics), all [M, ...]
    policy: Any  # (TrainState, explore: bool) -> rollout.Policy of one member's agent
    # the parts of a cycle, for timing them on their own (experiments/bench_cycle.py)
    rollout: Any  # (TrainState of every member, keys [M]) -> (Episodes, info), [M, N, ...]
    collect_and_learn: Any  # (TrainState, Episodes, key) -> (TrainState, metrics), one member


def make_env(config: TrainConfig) -> GoalEnv:
    return envs.make(config.env, **config.env_overrides())


def checked_env(config: TrainConfig) -> GoalEnv:
    """The config's environment, once `config` is checked on its own and against it."""
    validate(config)
    env = make_env(config)
    validate_for_env(config, env)
    return env


def make_train(config: TrainConfig) -> Trainer:
    """Check `config` and bind it into pure `init` and `epoch` functions (not yet jitted)."""
    env = checked_env(config)
    T = env.episode_length
    gamma = config.gamma_for(T)
    input_size = env.observation_size + env.goal_size
    agent = make_agent(config.algo, config, input_size, env.action_size, gamma)
    capacity = replay.capacity_in_episodes(config.capacity_for(T), T, config.num_envs)
    action_example = jnp.zeros((T,), jnp.int32) if env.discrete else jnp.zeros((T, env.action_size))
    stored = env.storage_dtype  # the learner casts sampled observations and goals to float32
    example = replay.Episodes(
        obs=jnp.zeros((T + 1, env.observation_size), stored),
        achieved_goal=jnp.zeros((T + 1, env.goal_size), stored),
        desired_goal=jnp.zeros((env.goal_size,), stored),
        action=action_example,
    )
    norm_kw = {"clip_obs": config.clip_obs, "clip_norm": config.clip_norm}

    def init(key, strategy, relabel_prob) -> TrainState:
        key, k_agent = jax.random.split(key)
        zero = jnp.zeros((), jnp.int32)
        return TrainState(
            agent=agent.init(k_agent),
            norm=normalizer.init(env.observation_size, env.goal_size),
            buffer=replay.init(example, capacity),
            key=key,
            strategy=jnp.asarray(strategy, jnp.int32),
            relabel_prob=jnp.asarray(relabel_prob, jnp.float32),
            env_steps=zero,
            updates=zero + 0,
            epoch=zero + 0,
        )

    def policy(ts: TrainState, explore: bool):
        def act(obs, key):
            x = normalizer.normalize_inputs(ts.norm, obs.observation, obs.desired_goal, **norm_kw)
            return agent.act(ts.agent, x, key, explore)

        return act

    def gradient_step(ts: TrainState, key):
        k_batch, k_update = jax.random.split(key)
        tr = her.sample_batch(
            k_batch,
            ts.buffer,
            config.batch_size,
            strategy=ts.strategy,
            relabel_prob=ts.relabel_prob,
            compute_reward=env.compute_reward,
        )
        obs, next_obs, goal = (a.astype(jnp.float32) for a in (tr.obs, tr.next_obs, tr.goal))
        batch = Batch(
            x=normalizer.normalize_inputs(ts.norm, obs, goal, **norm_kw),
            action=tr.action,
            reward=tr.reward,
            x_next=normalizer.normalize_inputs(ts.norm, next_obs, goal, **norm_kw),
        )
        agent_state, metrics = agent.update(ts.agent, batch, k_update)
        metrics = metrics | {
            "batch_reward0_share": jnp.mean(tr.reward == 0.0),
            "batch_relabelled_share": jnp.mean(tr.relabelled),
            "nonfinite_critic_loss": (~jnp.isfinite(metrics["critic_loss"])).astype(jnp.float32),
            "nonfinite_actor_loss": (~jnp.isfinite(metrics["actor_loss"])).astype(jnp.float32),
        }
        return ts.replace(agent=agent_state, updates=ts.updates + 1), metrics

    def learn(ts: TrainState, key):
        """updates_per_cycle gradient steps in blocks that each end with a target update."""

        def block(ts, k):
            ts, metrics = jax.lax.scan(
                gradient_step, ts, jax.random.split(k, config.target_update_interval)
            )
            return ts.replace(agent=agent.target_update(ts.agent)), metrics

        blocks = config.updates_per_cycle // config.target_update_interval
        ts, metrics = jax.lax.scan(block, ts, jax.random.split(key, blocks))
        return ts, metrics

    def collect_and_learn(ts: TrainState, episodes, k_learn):
        """Store a cycle's episodes, update the normaliser, then the gradient steps."""
        if config.goal_statistics == "relabelled":  # as the reference
            k_goals, k_learn = jax.random.split(k_learn)
            goals = her.normaliser_goals(
                k_goals, episodes.achieved_goal, episodes.desired_goal,
                strategy=ts.strategy, relabel_prob=ts.relabel_prob,
            )  # fmt: skip
        else:  # "achieved": every achieved goal, and the intended ones once per episode
            goals = jnp.concatenate(
                [episodes.achieved_goal.reshape(-1, env.goal_size), episodes.desired_goal]
            )
        ts = ts.replace(
            buffer=replay.add(ts.buffer, episodes),
            norm=normalizer.update(
                ts.norm, episodes.obs, goals, clip_obs=config.clip_obs, std_floor=config.std_floor
            ),
            env_steps=ts.env_steps + config.num_envs * T,
        )
        ts, learn_metrics = learn(ts, k_learn)
        return ts, jax.tree.map(jnp.mean, learn_metrics)

    def rollout_metrics(info, episodes):
        """What a training rollout reports besides the learner's metrics."""
        metrics = evaluate.constraint_rates(info)
        metrics["train_success_rate"] = evaluate.success_metrics(
            info["is_success"], env.success_at
        )["success_rate"]
        # a diverged simulation would poison buffer and normaliser: the host stops the run
        metrics["nonfinite_observation"] = nonfinite_rows(episodes)
        return metrics

    def evaluation_metrics(info):
        metrics = evaluate.success_metrics(info["is_success"], env.success_at)
        metrics |= evaluate.distance_metrics(info["goal_distance"])
        return metrics | {f"eval_{k}": v for k, v in evaluate.constraint_rates(info).items()}

    def act_all(ts: TrainState, explore):
        """Every member's policy, for `run_member_episodes`; `explore` may be traced."""

        def one(ts, obs, key):
            if isinstance(explore, bool):
                return policy(ts, explore)(obs, key)
            return jnp.where(explore, policy(ts, True)(obs, key), policy(ts, False)(obs, key))

        return lambda obs, keys: jax.vmap(one)(ts, obs, keys)

    def rollout(ts: TrainState, keys):
        return run_member_episodes(env, act_all(ts, True), keys, config.num_envs, training=True)

    learn_all = jax.vmap(collect_and_learn)

    def cycle_or_evaluation(ts: TrainState, i):
        """Step i of the epoch's scan, for every member: a training cycle, or one rollout of
        the evaluation.

        An evaluation rollout runs all `num_envs` environments with the deterministic
        policy and learns nothing; the epoch scores the first `eval_envs` of its
        `eval_rollouts` rollouts. Sharing the training rollout's program this way
        traces and compiles the environment, the costliest part to compile, once.
        """
        training = i < config.cycles_per_epoch

        def split(k):
            return jax.lax.cond(
                training,
                lambda k: tuple(jax.random.split(k, 3)),
                lambda k: (*jax.random.split(k, 2), k),
                k,
            )

        key, k_roll, k_learn = jax.vmap(split)(ts.key)
        episodes, info = run_member_episodes(
            env, act_all(ts, training), k_roll, config.num_envs, training
        )
        # after each step, as `is_success` is: [M, N, T]
        info = info | {
            "goal_distance": env.goal_distance(
                episodes.achieved_goal[..., 1:, :], episodes.desired_goal[..., None, :]
            )
        }
        ts = ts.replace(key=key)
        learned = jax.eval_shape(learn_all, ts, episodes, k_learn)[1]
        ts, learn_metrics = jax.lax.cond(
            training,
            learn_all,
            lambda ts, *_: (ts, jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), learned)),
            ts, episodes, k_learn,
        )  # fmt: skip
        metrics = learn_metrics | jax.vmap(rollout_metrics)(info, episodes)
        return ts, (metrics, info)

    eval_rollouts = -(-config.eval_envs // config.num_envs)  # ceil

    def epoch(ts: TrainState):
        steps = jnp.arange(config.cycles_per_epoch + eval_rollouts)
        ts, (per_step, info) = jax.lax.scan(cycle_or_evaluation, ts, steps)
        last = config.cycles_per_epoch
        # non-finite counts add up over every rollout, the evaluation's too (its learner
        # metrics are zeros); the other training metrics average over the training cycles
        metrics = {
            k: v.sum(0) if k.startswith("nonfinite") else v[:last].mean(0)
            for k, v in per_step.items()
        }

        def scored(v):  # each member's evaluation episodes, rollout after rollout
            v = jnp.moveaxis(v[last:], 0, 1)  # [M, eval_rollouts, N, T]
            return v.reshape(v.shape[0], -1, *v.shape[3:])[:, : config.eval_envs]

        metrics |= jax.vmap(evaluation_metrics)(jax.tree.map(scored, info))
        ts = ts.replace(epoch=ts.epoch + 1)
        metrics |= {"env_steps": ts.env_steps, "updates": ts.updates, "epoch": ts.epoch}
        return ts, metrics

    return Trainer(
        config=config,
        env=env,
        agent=agent,
        num_epochs=config.num_epochs(T),
        steps_per_epoch=config.steps_per_epoch(T),
        updates_per_epoch=config.cycles_per_epoch * config.updates_per_cycle,
        capacity_episodes=capacity,
        init=init,
        epoch=epoch,
        policy=policy,
        rollout=rollout,
        collect_and_learn=collect_and_learn,
    )
