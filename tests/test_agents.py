"""The learners on problems with analytic answers, driven by `agent.update` alone.

Probes (synthetic batches, no environment, no buffer), both trained side by
side for each learner in one jitted, vmapped `lax.scan`:

- one step (gamma = 0): Q(x, a) must equal the reward, which depends on the
  input and the action, and the deterministic policy must take the best action;
- fixed point (gamma = 0.5, x' = x, targets clipped to [-2, 0]): rewards
  -1.5, -1, -0.5 and +0.5 by quadrant give Q = -2 (unclipped -3), -2, -1 and 0
  (unclipped +1); SAC's entropy bonus shifts these, worked out in NumPy.

Then single updates from hand-set constant networks, whose critic targets are
known exactly (twin minimum, double DQN, SAC's soft target), TD3's policy
delay, the action ranges of `act`, and SAC's log-prob against NumPy.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from her_jax.agents import Batch, make_agent
from her_jax.agents.base import adam, deterministic_actor_step, explore_continuous
from her_jax.agents.sac import sample_tanh_gaussian, tanh_gaussian_log_prob
from her_jax.config import TrainConfig
from her_jax.networks import MLP, Critic, DeterministicActor, GaussianActor

IN = 3  # input size
ACT = 2  # continuous action size
N_ACTIONS = 3  # discrete actions
BATCH = 64
STEPS = 5000
CONTINUOUS = ("ddpg", "td3", "sac")
ALGOS = (*CONTINUOUS, "dqn")
N_CRITICS = {"ddpg": 1, "td3": 2, "sac": 2}
ONE_STEP, FIXED_POINT = 0, 1
GAMMAS = (0.0, 0.5)  # by probe
# Fixed-point probe rewards by quadrant of (x[0], x[1]): [x[0] >= 0, x[1] >= 0].
FIXED_POINT_REWARDS = ((-1.5, -1.0), (-0.5, 0.5))


def config_for(**overrides) -> TrainConfig:
    # No action penalty, so the best action of the one-step probe is the actor's optimum.
    return dataclasses.replace(TrainConfig(), hidden=(64, 64), action_l2=0.0, **overrides)


def action_size(algo) -> int:
    return N_ACTIONS if algo == "dqn" else ACT


def random_inputs(key, n):
    return jax.random.uniform(key, (n, IN), minval=-1.0, maxval=1.0)


def random_actions(key, algo, n):
    if algo == "dqn":
        return jax.random.randint(key, (n,), 0, N_ACTIONS)
    return jax.random.uniform(key, (n, ACT), minval=-1.0, maxval=1.0)


def best_action(x):
    """One-step optimum, [B, ACT]: (0.5, -0.5) with the sign of x[0]."""
    return 0.5 * jnp.sign(x[:, :1]) * jnp.array([1.0, -1.0])


def best_discrete(x):
    return jnp.where(x[:, 0] < 0, 0, 2)


def one_step_reward(algo, x, action):
    """[B] in [-1, 0]. Continuous: minus the L1 distance to the best action, scaled; its kink
    keeps the slope towards the optimum from vanishing. Discrete: 0 for the best action, else -1."""
    if algo == "dqn":
        return jnp.where(action == best_discrete(x), 0.0, -1.0)
    # Each coordinate lies at most 1.5 from its optimum.
    return -jnp.sum(jnp.abs(action - best_action(x)), axis=-1) / (ACT * 1.5)


def fixed_point_reward(x):
    return jnp.asarray(FIXED_POINT_REWARDS)[(x[:, 0] >= 0).astype(int), (x[:, 1] >= 0).astype(int)]


def probe_batch(algo, probe, key) -> Batch:
    """A batch of either probe; `probe` may be traced, so both are built and one is kept."""
    k_x, k_a, k_next = jax.random.split(key, 3)
    x, action = random_inputs(k_x, BATCH), random_actions(k_a, algo, BATCH)
    one_step = probe == ONE_STEP
    return Batch(
        x=x,
        action=action,
        reward=jnp.where(one_step, one_step_reward(algo, x, action), fixed_point_reward(x)),
        # The one-step probe's next input is irrelevant (gamma = 0); the fixed point's is x itself.
        x_next=jnp.where(one_step, random_inputs(k_next, BATCH), x),
    )


@functools.cache
def trained(algo):
    """Both probes of one learner, trained side by side in one compiled program.

    Returns the config, the two final states (index ONE_STEP, FIXED_POINT) and the metrics of
    every step, [probe, STEPS].
    """
    config = config_for()

    def train(gamma, probe, key):
        # gamma is traced: both probes share the program.
        agent = make_agent(algo, config, IN, action_size(algo), gamma)
        k_init, k_steps = jax.random.split(key)

        def step(state, key):
            k_batch, k_update = jax.random.split(key)
            state, metrics = agent.update(state, probe_batch(algo, probe, k_batch), k_update)
            return agent.target_update(state), metrics

        return jax.lax.scan(step, agent.init(k_init), jax.random.split(k_steps, STEPS))

    keys = jax.random.split(jax.random.key(0), len(GAMMAS))
    run = jax.jit(jax.vmap(train))
    states, metrics = run(jnp.asarray(GAMMAS), jnp.arange(len(GAMMAS)), keys)
    states = [jax.tree.map(lambda v, i=i: v[i], states) for i in range(len(GAMMAS))]
    return config, states, metrics


def q_values(algo, config, state, x, action) -> np.ndarray:
    """Q of every critic: [n_critics, B]; `action` [B, ACT] float or [B] int."""
    if algo == "dqn":
        q_all = MLP(config.hidden, N_ACTIONS).apply(state.q, x)  # [B, N_ACTIONS]
        return np.asarray(jnp.take_along_axis(q_all, action[:, None], axis=-1)[None, :, 0])
    return np.asarray(Critic(config.hidden, N_CRITICS[algo]).apply(state.critic, x, action))


def probe_inputs(key, n=200):
    """[n, IN] test inputs with x[0] and x[1] at least 0.3 from the rewards' steps at 0."""
    k_x, k_sign, k_size = jax.random.split(key, 3)
    sign = jnp.where(jax.random.bernoulli(k_sign, 0.5, (n, 2)), 1.0, -1.0)
    size = jax.random.uniform(k_size, (n, 2), minval=0.3, maxval=1.0)
    return random_inputs(k_x, n).at[:, :2].set(sign * size)


@pytest.mark.parametrize("algo", ALGOS)
def test_probe_metrics(algo):
    _, _, metrics = trained(algo)
    for name in ("critic_loss", "actor_loss", "q_mean"):
        assert metrics[name].shape == (len(GAMMAS), STEPS), name
        assert np.all(np.isfinite(metrics[name])), name
    # The critics fit: the last steps' losses are small next to the rewards' scale.
    final_loss = metrics["critic_loss"][:, -100:].mean(axis=1)  # [probe]
    assert np.all(final_loss < 0.01), final_loss


@pytest.mark.parametrize("algo", ALGOS)
def test_one_step_probe_critic(algo):
    """Q(x, a) = r(x, a) for random actions."""
    config, states, _ = trained(algo)
    k_x, k_a = jax.random.split(jax.random.key(100))
    x = probe_inputs(k_x)
    action = random_actions(k_a, algo, x.shape[0])
    q = q_values(algo, config, states[ONE_STEP], x, action)
    error = np.abs(q - np.asarray(one_step_reward(algo, x, action)))
    assert error.mean() < 0.03, error.mean()
    assert error.max() < 0.15, error.max()


@pytest.mark.parametrize("algo", ALGOS)
def test_one_step_probe_policy(algo):
    """The deterministic policy takes the best action: it moved from its start towards it."""
    config, states, _ = trained(algo)
    agent = make_agent(algo, config, IN, action_size(algo), GAMMAS[ONE_STEP])
    x = probe_inputs(jax.random.key(101))
    greedy = agent.act(states[ONE_STEP], x, jax.random.key(1), False)
    if algo == "dqn":
        np.testing.assert_array_equal(greedy, best_discrete(x))
    else:
        # From about 0.5 at the start; a fit critic leaves a few points less sharp.
        error = np.abs(np.asarray(greedy - best_action(x)))
        assert error.mean() < 0.06, error.mean()
        assert error.max() < 0.25, error.max()


def numpy_fixed_point(reward, gamma, soft, iterations=200):
    """Q(x) = mean_j clip(r + gamma * (Q(x) - soft_j), -1/(1 - gamma), 0), iterated.

    reward [n]; soft [n, samples]: alpha * log pi of next-action samples (SAC's entropy bonus
    with its sign flipped), zeros for the other learners. The clip acts per sample, as in a
    batch, so the mean is taken after it.
    """
    q = np.zeros_like(reward)
    for _ in range(iterations):
        target = reward[:, None] + gamma * (q[:, None] - soft)
        q = np.clip(target, -1.0 / (1.0 - gamma), 0.0).mean(axis=1)
    return q


@pytest.mark.parametrize("algo", ALGOS)
def test_fixed_point_probe(algo):
    """x' = x, gamma = 0.5, targets clipped to [-2, 0]. Rewards -1.5, -1, -0.5, +0.5 give
    Q = -2 (unclipped -3), -2, -1, 0 (unclipped +1); SAC adds its entropy bonus."""
    config, states, _ = trained(algo)
    state, gamma = states[FIXED_POINT], GAMMAS[FIXED_POINT]
    k_x, k_a, k_pi = jax.random.split(jax.random.key(102), 3)
    x = probe_inputs(k_x)
    q = q_values(algo, config, state, x, random_actions(k_a, algo, x.shape[0]))
    soft = np.zeros((x.shape[0], 1))
    if algo == "sac":
        mean, log_std = GaussianActor(config.hidden, ACT).apply(state.actor, x)
        samples = (jnp.broadcast_to(v, (512, *v.shape)) for v in (mean, log_std))
        _, logp = sample_tanh_gaussian(k_pi, *samples)  # [512, n]
        soft = float(jnp.exp(state.log_alpha)) * np.asarray(logp).T
    expected = numpy_fixed_point(np.asarray(fixed_point_reward(x)), gamma, soft)
    # The rewards are piecewise constant, so a network blurs Q at the few inputs that lie
    # near a boundary: bound the mean error and, more loosely, the worst one. A wrong fixed
    # point (no clip, wrong gamma) is off by 0.5 or more on a quarter of the inputs.
    error = np.abs(q - np.broadcast_to(expected, q.shape))
    assert error.mean() < 0.05, error.mean()
    assert error.max() < 0.15, error.max()


@pytest.mark.parametrize("algo", ALGOS)
def test_act_shapes_and_ranges(algo):
    config, states, _ = trained(algo)
    agent = make_agent(algo, config, IN, action_size(algo), GAMMAS[ONE_STEP])
    # Large inputs drive the networks into saturation, where a missing clip or squash shows.
    x = 50.0 * random_inputs(jax.random.key(5), 32)
    for explore in (False, True):
        action = agent.act(states[ONE_STEP], x, jax.random.key(6), explore)
        if algo == "dqn":
            assert action.shape == (32,)
            assert jnp.issubdtype(action.dtype, jnp.integer)
            assert np.all((action >= 0) & (action < N_ACTIONS))
        else:
            assert action.shape == (32, ACT)
            assert np.all(np.abs(np.asarray(action)) <= 1.0)
    # The deterministic policy ignores the key; exploration does not.
    x = x[:8] / 50.0
    greedy = agent.act(states[ONE_STEP], x, jax.random.key(7), False)
    np.testing.assert_array_equal(greedy, agent.act(states[ONE_STEP], x, jax.random.key(8), False))
    if algo in CONTINUOUS:
        assert not np.allclose(greedy, agent.act(states[ONE_STEP], x, jax.random.key(7), True))


# One update from hand-set networks whose outputs are constants, so the critic target is known.
UPDATE_GAMMA = 0.9  # clip range [-10, 0]
UPDATE_BATCH = 1024
ONLINE_Q = (0.5, 0.0)  # by critic (DDPG keeps the first)
TARGET_Q = (-3.0, -1.0)  # twin minimum -3: a mean (-2) or a max (-1) gives another loss
DQN_ONLINE_Q = (0.0, 1.0, 0.5)  # by action: online argmax 1
DQN_TARGET_Q = (-1.0, -2.0, -3.0)  # double DQN: -2 at the online argmax; a plain max gives -1
SAC_MEAN, SAC_LOG_STD = (1.0, -1.5), (-2.0, -2.0)


def constant_network(params, output):
    """The same network with every weight zeroed and the last bias set to `output`."""
    params = jax.tree.map(jnp.zeros_like, params)
    layers = params["params"]
    if "Dense_0" not in layers:  # an MLP inside an actor or critic module
        (layers,) = layers.values()
    last = layers[f"Dense_{len(config_for().hidden)}"]
    last["bias"] = jnp.broadcast_to(jnp.asarray(output, jnp.float32), last["bias"].shape)
    return params


@functools.cache
def one_update(algo, **overrides):
    """A jitted `update` (TD3: policy delay 3), a state of constant networks, a batch and the
    freshly initialised state."""
    config = config_for(td3_policy_delay=3, **overrides)
    agent = make_agent(algo, config, IN, action_size(algo), UPDATE_GAMMA)
    state = fresh = jax.jit(agent.init)(jax.random.key(9))
    if algo == "dqn":
        state = state.replace(
            q=constant_network(state.q, DQN_ONLINE_Q),
            target_q=constant_network(state.target_q, DQN_TARGET_Q),
        )
    else:
        n = N_CRITICS[algo]
        online = np.asarray(ONLINE_Q[:n])[:, None]  # [n, 1]
        state = state.replace(
            critic=constant_network(state.critic, online),
            target_critic=constant_network(state.target_critic, np.asarray(TARGET_Q[:n])[:, None]),
        )
    if algo == "sac":
        state = state.replace(actor=constant_network(state.actor, SAC_MEAN + SAC_LOG_STD))
    k_x, k_a, k_next = jax.random.split(jax.random.key(10), 3)
    batch = Batch(
        x=random_inputs(k_x, UPDATE_BATCH),
        action=random_actions(k_a, algo, UPDATE_BATCH),
        reward=-jnp.ones(UPDATE_BATCH),
        x_next=random_inputs(k_next, UPDATE_BATCH),
    )
    return state, batch, jax.jit(agent.update), fresh


def clipped(target):
    return np.clip(target, -1.0 / (1.0 - UPDATE_GAMMA), 0.0)


@pytest.mark.parametrize("algo", ALGOS)
def test_update_target_from_constant_networks(algo):
    """critic_loss and q_mean of one update against the target worked out in NumPy."""
    state, batch, update, _ = one_update(algo)
    new, metrics = update(state, batch, jax.random.key(11))
    reward = np.asarray(batch.reward)
    if algo == "dqn":
        q = np.asarray(DQN_ONLINE_Q)[np.asarray(batch.action)]  # [B]
        target = clipped(reward + UPDATE_GAMMA * DQN_TARGET_Q[int(np.argmax(DQN_ONLINE_Q))])
        loss = np.mean((q - target) ** 2)
        np.testing.assert_allclose(metrics["q_mean"], q.mean(), rtol=1e-5)
        np.testing.assert_allclose(metrics["critic_loss"], loss, rtol=1e-5)
        return
    n = N_CRITICS[algo]
    online = np.asarray(ONLINE_Q[:n])[:, None]  # [n, 1]
    next_v = min(TARGET_Q[:n])  # constant critics: neither action nor smoothing noise matters
    np.testing.assert_allclose(metrics["q_mean"], online.mean(), rtol=1e-5)
    if algo != "sac":
        loss = np.mean((online - clipped(reward + UPDATE_GAMMA * next_v)) ** 2)
        np.testing.assert_allclose(metrics["critic_loss"], loss, rtol=1e-5)
        return
    # SAC: the soft target's expectation over the policy, by Monte Carlo in float64.
    mean, log_std = np.asarray(SAC_MEAN), np.asarray(SAC_LOG_STD)
    u = mean + np.exp(log_std) * np.random.default_rng(0).standard_normal((200_000, ACT))
    logp = numpy_tanh_gaussian_log_prob(mean, log_std, u)  # [samples]
    alpha = float(np.exp(state.log_alpha))
    target = clipped(-1.0 + UPDATE_GAMMA * (next_v - alpha * logp))
    # The batch's own draws differ from these; 1024 of them pin the loss to about 1 %.
    np.testing.assert_allclose(metrics["critic_loss"], np.mean((online - target) ** 2), rtol=0.03)
    np.testing.assert_allclose(metrics["entropy"], -logp.mean(), atol=0.1)
    np.testing.assert_allclose(metrics["alpha"], alpha)
    # Entropy below its target (-ACT) raises the temperature; Adam's first step is lr.
    assert -logp.mean() < -ACT
    np.testing.assert_allclose(new.log_alpha, state.log_alpha + config_for().lr_actor, rtol=1e-3)


def test_sac_temperature_steers_towards_the_configured_target_entropy():
    """A target below the policy's entropy lowers the temperature where the default (-ACT,
    above it) raises it."""
    state, batch, update, _ = one_update("sac")
    entropy = float(update(state, batch, jax.random.key(11))[1]["entropy"])
    assert entropy < -ACT
    state, batch, update, _ = one_update("sac", sac_target_entropy=entropy - 1.0)
    new, metrics = update(state, batch, jax.random.key(11))
    np.testing.assert_allclose(metrics["entropy"], entropy)  # the same draws
    np.testing.assert_allclose(new.log_alpha, state.log_alpha - config_for().lr_actor, rtol=1e-3)


def test_td3_actor_waits_for_policy_delay():
    # Constant critics give the actor no gradient: start from the initial networks.
    _, batch, update, state = one_update("td3")
    moved = []
    for i in range(6):
        new, _ = update(state, batch, jax.random.key(12 + i))
        moved.append(
            not all(jax.tree.leaves(jax.tree.map(jnp.array_equal, state.actor, new.actor)))
        )
        assert not all(jax.tree.leaves(jax.tree.map(jnp.array_equal, state.critic, new.critic)))
        # Only `target_update` moves the targets.
        for name in ("target_actor", "target_critic"):
            same = jax.tree.map(jnp.array_equal, getattr(state, name), getattr(new, name))
            assert all(jax.tree.leaves(same)), name
        state = new
    assert moved == [False, False, True, False, False, True]


TARGETS = {  # online network -> its target, by learner
    "ddpg": {"actor": "target_actor", "critic": "target_critic"},
    "td3": {"actor": "target_actor", "critic": "target_critic"},
    "sac": {"critic": "target_critic"},
    "dqn": {"q": "target_q"},
}


@pytest.mark.parametrize("algo", ALGOS)
def test_target_update_is_polyak_with_coefficient_on_the_target(algo):
    # the constant-network state: its targets differ from the online networks
    state, *_ = one_update(algo)
    config = config_for(td3_policy_delay=3)
    assert config.polyak == 0.95  # the paper's: target <- 0.95 target + 0.05 online
    new = make_agent(algo, config, IN, action_size(algo), UPDATE_GAMMA).target_update(state)
    for online, target in TARGETS[algo].items():
        expected = jax.tree.map(
            lambda t, o: 0.95 * t + 0.05 * o, getattr(state, target), getattr(state, online)
        )
        got = getattr(new, target)
        for e, g in zip(jax.tree.leaves(expected), jax.tree.leaves(got), strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7, err_msg=target)
        assert not all(jax.tree.leaves(jax.tree.map(jnp.array_equal, got, getattr(state, target))))
        # the online networks stay as they were
        same = jax.tree.map(jnp.array_equal, getattr(new, online), getattr(state, online))
        assert all(jax.tree.leaves(same)), online


@pytest.mark.parametrize("algo", ["ddpg", "td3"])
def test_actor_loss_adds_the_action_penalty(algo):
    """The deterministic actor's loss is -Q1(x, pi(x)) + action_l2 * mean(pi^2): two updates of
    the same state that differ only in action_l2 differ by exactly that term."""
    state, batch, _, _ = one_update(algo)  # constant critics: the same Q for every action
    losses = []
    for l2 in (0.0, 1.0):
        config = dataclasses.replace(config_for(td3_policy_delay=1), action_l2=l2)
        agent = make_agent(algo, config, IN, ACT, UPDATE_GAMMA)
        _, metrics = jax.jit(agent.update)(state, batch, jax.random.key(11))
        losses.append(float(metrics["actor_loss"]))
    pi = np.asarray(agent.act(state, batch.x, jax.random.key(0), False))
    np.testing.assert_allclose(losses[1] - losses[0], np.mean(pi**2), rtol=1e-4)
    assert np.mean(pi**2) > 1e-3  # the initial actor's actions are not all zero


def test_ddpg_actor_goes_through_the_critic_before_its_update_as_the_reference():
    """The reference computes both gradients of a step from the same parameters; the
    "after_update" runs of earlier her_jax went through the critic just updated."""
    _, batch, _, fresh = one_update("ddpg")  # the initial networks: the actor has a gradient
    config = config_for()
    assert config.ddpg_actor_critic == "before_update"
    actor_net, critic_net = DeterministicActor(config.hidden, ACT), Critic(config.hidden, 1)
    step = jax.jit(
        lambda critic: deterministic_actor_step(
            actor_net, critic_net, adam(config.lr_actor), fresh.actor, fresh.actor_opt, critic,
            batch.x, config.action_l2,
        )[0]
    )  # fmt: skip
    actors = {}
    for mode in ("before_update", "after_update"):
        agent = make_agent(
            "ddpg", dataclasses.replace(config, ddpg_actor_critic=mode), IN, ACT, UPDATE_GAMMA
        )
        new, _ = jax.jit(agent.update)(fresh, batch, jax.random.key(11))
        expected = step(fresh.critic if mode == "before_update" else new.critic)
        for e, g in zip(jax.tree.leaves(expected), jax.tree.leaves(new.actor), strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=mode)
        actors[mode] = new.actor
    moved = jax.tree.map(lambda a, b: jnp.abs(a - b).max(), *actors.values())
    assert max(jax.tree.leaves(moved)) > 1e-4  # the two critics give the actor other steps


def test_continuous_exploration_mixes_uniform_actions_and_gaussian_noise():
    n = 20_000
    zero = jnp.zeros((n, ACT))
    # no noise: exactly the rows that took a uniform action differ from the greedy one
    action = np.asarray(explore_continuous(jax.random.key(1), zero, 0.3, 0.0))
    uniform_rows = np.any(action != 0.0, axis=1)
    assert np.all(np.all(action != 0.0, axis=1) == uniform_rows)  # one coin per row
    assert stats.binomtest(int(uniform_rows.sum()), n, 0.3).pvalue > 1e-3
    assert stats.kstest(action[uniform_rows].ravel(), "uniform", args=(-1, 2)).pvalue > 1e-3
    # no uniform actions: Gaussian noise of the given std around the greedy action
    action = np.asarray(explore_continuous(jax.random.key(2), zero, 0.0, 0.2))
    assert stats.kstest(action.ravel() / 0.2, "norm").pvalue > 1e-3


@pytest.mark.parametrize("algo", ALGOS)
def test_exploring_act_uses_the_configured_rates(algo):
    config, states, _ = trained(algo)
    agent = make_agent(algo, config, IN, action_size(algo), GAMMAS[ONE_STEP])
    x = random_inputs(jax.random.key(3), 20_000)
    greedy = np.asarray(agent.act(states[ONE_STEP], x, jax.random.key(4), False))
    explored = np.asarray(agent.act(states[ONE_STEP], x, jax.random.key(5), True))
    if algo == "dqn":  # epsilon-greedy: a uniform action with probability random_eps
        changed = int(np.sum(explored != greedy))
        p = config.random_eps * (N_ACTIONS - 1) / N_ACTIONS
        assert stats.binomtest(changed, len(x), p).pvalue > 1e-3
    elif algo == "sac":  # a sample of the policy itself
        assert np.mean(np.abs(explored - greedy)) > 1e-3
    else:  # the shared exploration (tested above) with this config's rates, same key
        expected = explore_continuous(
            jax.random.key(5), greedy, config.random_eps, config.noise_eps
        )
        np.testing.assert_array_equal(explored, expected)
        assert (config.random_eps, config.noise_eps) == (0.3, 0.2)  # the paper's


def test_sac_explores_with_uniform_actions_at_sac_random_eps():
    config, states, _ = trained("sac")
    state = states[ONE_STEP]
    x, key = random_inputs(jax.random.key(3), 20_000), jax.random.key(5)
    # by default, exactly the policy's own samples
    plain = np.asarray(make_agent("sac", config, IN, ACT, 0.0).act(state, x, key, True))
    mean, log_std = GaussianActor(config.hidden, ACT).apply(state.actor, x)
    np.testing.assert_array_equal(plain, sample_tanh_gaussian(key, mean, log_std)[0])
    # with sac_random_eps, a uniform action in place of the sample in that share of rows
    mixing = dataclasses.replace(config, sac_random_eps=0.3)
    mixed = np.asarray(make_agent("sac", mixing, IN, ACT, 0.0).act(state, x, key, True))
    uniform_rows = np.any(mixed != plain, axis=1)
    np.testing.assert_array_equal(mixed[~uniform_rows], plain[~uniform_rows])
    assert stats.binomtest(int(uniform_rows.sum()), len(x), 0.3).pvalue > 1e-3
    assert stats.kstest(mixed[uniform_rows].ravel(), "uniform", args=(-1, 2)).pvalue > 1e-3


def numpy_tanh_gaussian_log_prob(mean, log_std, pre_tanh):
    """Change of variables in float64, written directly: log N(u) - log(1 - tanh(u)^2)."""
    mean, log_std, u = (np.asarray(v, np.float64) for v in (mean, log_std, pre_tanh))
    std = np.exp(log_std)
    log_normal = -0.5 * ((u - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2.0 * np.pi)
    return np.sum(log_normal - np.log(1.0 - np.tanh(u) ** 2), axis=-1)


def test_sac_log_prob_matches_numpy():
    mean = np.array([[0.0, 0.3], [-1.2, 2.0], [0.5, -0.4], [0.0, 0.0]])
    log_std = np.array([[0.0, -1.0], [0.5, -3.0], [1.5, 0.2], [-0.5, 0.3]])
    # The last row reaches |u| = 9, where tanh(u) rounds to 1 in float32.
    pre_tanh = np.array([[0.1, -0.2], [-2.5, 1.9], [3.0, -4.0], [9.0, -9.0]])
    got = tanh_gaussian_log_prob(*(jnp.asarray(v, jnp.float32) for v in (mean, log_std, pre_tanh)))
    np.testing.assert_allclose(
        got, numpy_tanh_gaussian_log_prob(mean, log_std, pre_tanh), rtol=1e-4
    )


def test_sac_density_integrates_to_one():
    # exp(log_prob) is a density over actions in (-1, 1): integrate it on a grid in action space.
    a = np.linspace(-1.0, 1.0, 200_001)[1:-1]
    u = np.arctanh(a)
    mean, log_std = jnp.full((a.size, 1), 0.7), jnp.full((a.size, 1), -0.3)
    density = np.exp(
        np.asarray(
            tanh_gaussian_log_prob(mean, log_std, jnp.asarray(u[:, None], jnp.float32)), np.float64
        )
    )
    assert math.isclose(np.trapezoid(density, a), 1.0, abs_tol=1e-3)
    # Samples carry their own log-prob.
    action, logp = sample_tanh_gaussian(jax.random.key(12), mean[:1000], log_std[:1000])
    assert np.all(np.abs(np.asarray(action)) <= 1.0)
    np.testing.assert_allclose(
        logp,
        numpy_tanh_gaussian_log_prob(
            mean[:1000], log_std[:1000], np.arctanh(np.asarray(action, np.float64))
        ),
        rtol=1e-3,
        atol=1e-3,
    )
