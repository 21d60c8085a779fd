"""The typed configuration of a training run: the CLI's single source of truth.

Every field's docstring is its `--help` text. Derived numbers are methods
(`num_epochs`, `capacity_for`, `gamma_for`, `replay_ratio`); `validate(config)`
checks the config on its own and `validate_for_env(config, env)` against its
environment, both before any compilation, raising `ConfigError` (a
`ValueError`) that names the problem and the valid choices.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from her_jax import her, replay
from her_jax.errors import ConfigError

ALGOS = ("ddpg", "td3", "sac", "dqn")
GOAL_STATISTICS = ("relabelled", "achieved")
DDPG_ACTOR_CRITICS = ("before_update", "after_update")
DISCRETE_ALGOS = ("dqn",)
REWARD_TYPES = ("sparse", "dense")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    # --- what to train
    env: str = "fetch_reach"
    """Environment name (bitflip, fetch_reach, fetch_push, fetch_slide, fetch_pick_and_place)."""
    algo: str = "ddpg"
    """Learner: ddpg, td3, sac (continuous actions) or dqn (discrete, bit-flipping)."""
    strategy: str = "future"
    """Hindsight goal strategy: none, final, future, episode or random."""
    k: float = 4.0
    """Substitute goals per original goal; relabel probability 1 - 1/(1 + k). inf: always."""
    n_bits: int = 0
    """bitflip only: number of bits (0 keeps the environment's default)."""
    reward_type: str = ""
    """Fetch only: sparse or dense (empty keeps the environment's default)."""
    dense_exponent: float = 0.0
    """Fetch only, with reward_type dense: p of the reward -|g - ag|^p (0 keeps the default, 1)."""
    fixed_goal: tuple[float, float, float] | None = None
    """Fetch only: one (x, y, z) goal for every episode (single-goal runs); None samples goals."""
    distance_threshold: float = 0.0
    """Fetch only: the success radius in metres, for the reward and every success measure (0
    keeps the task's, 0.05; the paper's Fig. 3 counted 0.07 on push and pick-and-place, 0.2 on
    slide)."""
    grasped_start_prob: float = 0.0
    """fetch_pick_and_place only: the share of training episodes that start with the cube held
    at the gripper's initial pose (the paper's 0.5; 0, the reference's, starts none so);
    evaluation episodes never do."""

    # --- size of the run
    seeds: int = 1
    """Independent seeds, trained together as one vmapped program."""
    seed: int = 0
    """First seed; seeds are seed, seed + 1, ..."""
    num_envs: int = 8
    """Parallel environments; each cycle collects one episode from each."""
    total_env_steps: int = 20_000
    """Training budget in environment steps per seed (rounded up to whole epochs)."""
    cycles_per_epoch: int = 5
    """Cycles per jitted epoch; metrics, evaluation and checkpoints happen once per epoch."""
    updates_per_cycle: int = 40
    """Gradient steps after each cycle's rollout (sets the replay ratio)."""
    target_update_interval: int = 40
    """Gradient steps between target-network (polyak) updates; divides updates_per_cycle."""
    batch_size: int = 256
    """Transitions per gradient step."""
    buffer_capacity: int = 0
    """Replay capacity in transitions (0: the whole run, capped at 5e6, so it never wraps)."""
    eval_envs: int = 100
    """Evaluation episodes per seed per epoch (deterministic policy, intended goals)."""
    stop_at_success: float = 0.0
    """Stop once every variant's median success over seeds reaches this (0: use the budget)."""
    stop_at_env_steps: int = 0
    """Stop after the first epoch that brings each seed to this many env steps (0: the budget);
    unlike a smaller total_env_steps it keeps the run's schedule and buffer, and that epoch is
    checkpointed (unless checkpoint_every is -1), so --resume continues (with a larger value
    or 0; a resume already there trains nothing, as one at the budget's end)."""
    time_limit_s: float = 0.0
    """Stop after the first epoch that ends this many seconds after this run (or resume) started
    (0: no limit); that epoch is checkpointed (unless checkpoint_every is -1), so --resume
    continues, e.g. under a cluster's job time limit."""
    devices: int = 0
    """Devices to spread the members (variants x seeds) over: the most, up to this (0: all),
    that divide the member count."""

    # --- learner hyperparameters (paper defaults: Plappert et al. 2018)
    hidden: tuple[int, ...] = (256, 256, 256)
    """Hidden layer widths of actor and critic."""
    lr_actor: float = 1e-3
    """Actor (and SAC temperature) learning rate."""
    lr_critic: float = 1e-3
    """Critic learning rate."""
    gamma: float = 0.0
    """Discount (0: 1 - 1/T, the episode length T)."""
    polyak: float = 0.95
    """Target update: target <- polyak * target + (1 - polyak) * online."""
    action_l2: float = 1.0
    """DDPG/TD3: L2 penalty on the actor's tanh output."""
    clip_target: bool = True
    """Clip critic targets to [-1/(1 - gamma), 0] (rewards are never positive)."""
    random_eps: float = 0.3
    """Exploration: probability of a uniformly random action (DQN: epsilon)."""
    noise_eps: float = 0.2
    """Exploration: std of Gaussian action noise (DDPG, TD3)."""
    ddpg_actor_critic: str = "before_update"
    """DDPG: which critic the actor's gradient goes through, "before_update" (the reference:
    both gradients of a step from the same parameters) or "after_update" (this step's updated
    critic; her_jax before this field, which a run saved without it used). A resumed run keeps
    its saved run's."""
    td3_target_noise: float = 0.2
    """TD3: std of target policy smoothing noise."""
    td3_noise_clip: float = 0.5
    """TD3: clip of target policy smoothing noise."""
    td3_policy_delay: int = 2
    """TD3: critic updates per actor update."""
    sac_init_alpha: float = 0.05
    """SAC: initial temperature. Per-step rewards are only -1 or 0, so alpha = 1 would let the
    entropy bonus (about 1 per action dimension) drown the task until it has decayed."""
    sac_target_entropy: float | None = None
    """SAC: the policy entropy the temperature steers towards (None: -action_size, -4 on
    Fetch, an action std of about 0.09 per dimension). Higher explores more: 0 on Fetch is
    about 0.25."""
    sac_random_eps: float = 0.0
    """SAC: probability of a uniformly random exploring action in place of the policy's sample
    (0: the policy's samples only; DDPG and TD3 take random_eps's 0.3)."""
    clip_obs: float = 200.0
    """Observations and goals are clipped to +/- this before normalising."""
    clip_norm: float = 5.0
    """Normalised inputs are clipped to +/- this."""
    std_floor: float = 0.01
    """Floor of the normaliser's standard deviation."""
    goal_statistics: str = "relabelled"
    """What the goal normaliser learns from: "relabelled", a goal per new transition picked as a
    training batch picks it (the reference: intended goals weigh 1 - p); "achieved", every
    achieved goal and each episode's intended goal once (her_jax before this field, which
    a run saved without it used). A resumed run keeps its saved run's."""

    # --- output
    out_dir: Path = Path("runs/latest")
    """Folder for config.json, meta.json, metrics.csv and checkpoints."""
    checkpoint_every: int = 0
    """Save a checkpoint every N epochs (0: only at the end; -1: never)."""
    resume: bool = False
    """Continue from the newest checkpoint in out_dir (checkpointing as the saved run did, unless
    checkpoint_every is given)."""
    overwrite: bool = False
    """Start afresh in an out_dir that holds an earlier run's checkpoints, deleting them (without
    it, such a run is refused)."""
    tensorboard: bool = False
    """Also write TensorBoard events into out_dir."""

    @property
    def relabel_prob(self) -> float:
        return her.relabel_probability(self.k)

    def env_overrides(self) -> dict:
        """Keyword overrides for `envs.make` from the env-specific fields."""
        overrides = {}
        if self.n_bits:
            overrides["n_bits"] = self.n_bits
        if self.reward_type:
            overrides["reward_type"] = self.reward_type
        if self.dense_exponent:
            overrides["dense_exponent"] = self.dense_exponent
        if self.fixed_goal is not None:
            overrides["fixed_goal"] = tuple(self.fixed_goal)
        if self.distance_threshold:
            overrides["distance_threshold"] = self.distance_threshold
        if self.grasped_start_prob:
            overrides["grasped_start_prob"] = self.grasped_start_prob
        return overrides

    def replay_ratio(self, episode_length: int) -> float:
        """Sampled transitions per collected transition (the reference's is about 100)."""
        return self.updates_per_cycle * self.batch_size / (self.num_envs * episode_length)

    def gamma_for(self, episode_length: int) -> float:
        return self.gamma if self.gamma else 1.0 - 1.0 / episode_length

    def steps_per_epoch(self, episode_length: int) -> int:
        return self.cycles_per_epoch * self.num_envs * episode_length

    def num_epochs(self, episode_length: int) -> int:
        return max(1, math.ceil(self.total_env_steps / self.steps_per_epoch(episode_length)))

    def capacity_for(self, episode_length: int) -> int:
        if self.buffer_capacity:
            return self.buffer_capacity
        run = self.num_epochs(episode_length) * self.steps_per_epoch(episode_length)
        return min(run, replay.DEFAULT_CAPACITY)


def _positive(config: TrainConfig, *names: str) -> None:
    for name in names:
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be >= 1, got {getattr(config, name)}")


def _one_of(config: TrainConfig, name: str, valid: tuple[str, ...]) -> None:
    if getattr(config, name) not in valid:
        raise ConfigError(f"unknown {name} {getattr(config, name)!r}; valid: {', '.join(valid)}")


def validate(config: TrainConfig) -> None:
    """Check the config on its own; raises ValueError before anything is built or compiled."""
    if config.algo not in ALGOS:
        raise ConfigError(f"unknown algorithm {config.algo!r}; valid: {', '.join(ALGOS)}")
    if config.strategy not in her.STRATEGIES:
        raise ConfigError(
            f"unknown goal strategy {config.strategy!r}; valid: {', '.join(her.STRATEGIES)}"
        )
    her.relabel_probability(config.k)  # k >= 0
    _positive(
        config, "seeds", "num_envs", "total_env_steps", "cycles_per_epoch", "updates_per_cycle",
        "target_update_interval", "batch_size", "eval_envs", "td3_policy_delay",
    )  # fmt: skip
    if config.updates_per_cycle % config.target_update_interval:
        raise ConfigError(
            f"target_update_interval ({config.target_update_interval}) must divide "
            f"updates_per_cycle ({config.updates_per_cycle})"
        )
    _one_of(config, "goal_statistics", GOAL_STATISTICS)
    _one_of(config, "ddpg_actor_critic", DDPG_ACTOR_CRITICS)
    if config.reward_type:  # "": the environment's default
        _one_of(config, "reward_type", REWARD_TYPES)
    if config.dense_exponent < 0:
        raise ConfigError(
            f"dense_exponent must be > 0 (0: the default), got {config.dense_exponent}"
        )
    if config.dense_exponent and config.reward_type != "dense":
        raise ConfigError(
            f"dense_exponent {config.dense_exponent} needs reward_type 'dense', "
            f"got {config.reward_type or 'the default'!r}"
        )
    if config.distance_threshold < 0:
        raise ConfigError(
            f"distance_threshold must be > 0 (0: the task's), got {config.distance_threshold}"
        )
    for name in (
        "grasped_start_prob", "polyak", "stop_at_success", "random_eps", "sac_random_eps",
    ):  # fmt: skip
        if not 0.0 <= getattr(config, name) <= 1.0:  # NaN too
            raise ConfigError(f"{name} must lie in [0, 1], got {getattr(config, name)}")
    if config.sac_target_entropy is not None and not math.isfinite(config.sac_target_entropy):
        raise ConfigError(f"sac_target_entropy must be finite, got {config.sac_target_entropy}")
    if not 0.0 <= config.gamma < 1.0:
        raise ConfigError(f"gamma must lie in [0, 1) (0: 1 - 1/T), got {config.gamma}")
    if not config.hidden or min(config.hidden) < 1:
        raise ConfigError(f"hidden must be a non-empty tuple of widths >= 1, got {config.hidden}")
    if config.devices < 0:
        raise ConfigError(f"devices must be >= 0 (0: all), got {config.devices}")
    if config.stop_at_env_steps < 0:
        raise ConfigError(
            f"stop_at_env_steps must be >= 0 (0: the budget), got {config.stop_at_env_steps}"
        )
    if config.time_limit_s < 0:
        raise ConfigError(f"time_limit_s must be >= 0 (0: no limit), got {config.time_limit_s}")
    if config.checkpoint_every < -1:
        raise ConfigError(f"checkpoint_every must be >= -1, got {config.checkpoint_every}")
    for name in ("lr_actor", "lr_critic", "clip_obs", "clip_norm", "std_floor", "sac_init_alpha"):
        if not getattr(config, name) > 0:
            raise ConfigError(f"{name} must be > 0, got {getattr(config, name)}")


def validate_for_env(config: TrainConfig, env) -> None:
    """Check what depends on the environment: the action kind and the buffer's size."""
    if env.discrete != (config.algo in DISCRETE_ALGOS):
        kind = "discrete" if env.discrete else "continuous"
        fits = [a for a in ALGOS if (a in DISCRETE_ALGOS) == env.discrete]
        raise ConfigError(
            f"algorithm {config.algo!r} does not fit {config.env!r}, whose actions are {kind}; "
            f"use one of {', '.join(fits)}"
        )
    T = env.episode_length
    capacity = config.capacity_for(T)
    if capacity // T < config.num_envs:
        raise ConfigError(
            f"buffer_capacity {capacity} holds {capacity // T} episodes, fewer than one cycle's "
            f"{config.num_envs}; use at least {config.num_envs * T}"
        )
