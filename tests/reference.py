"""Slow, obviously-correct NumPy references for the buffer and relabelling."""

import numpy as np


class NumpyEpisodeBuffer:
    """A ring of episode slots written one episode at a time in a Python loop."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.slots: list[dict | None] = [None] * capacity
        self.insert = 0
        self.count = 0

    def add(self, episodes: dict) -> None:
        n = len(episodes["action"])
        for i in range(n):
            self.slots[self.insert] = {k: np.asarray(v[i]) for k, v in episodes.items()}
            self.insert = (self.insert + 1) % self.capacity
            self.count = min(self.count + 1, self.capacity)

    def transitions(self, ep, t, goal_ep, goal_t, relabelled, compute_reward):
        """The training batch for given sample and goal indices, one sample at a time."""
        rows = {k: [] for k in ("obs", "action", "reward", "next_obs", "goal")}
        for e, s, ge, gt, r in zip(ep, t, goal_ep, goal_t, relabelled, strict=True):
            slot = self.slots[e]
            goal = self.slots[ge]["achieved_goal"][gt] if r else slot["desired_goal"]
            rows["obs"].append(slot["obs"][s])
            rows["action"].append(slot["action"][s])
            rows["next_obs"].append(slot["obs"][s + 1])
            rows["goal"].append(goal)
            rows["reward"].append(compute_reward(slot["achieved_goal"][s + 1], goal))
        return {k: np.stack(v) for k, v in rows.items()}


def numpy_sparse_reward(achieved, desired, eps=0.05):
    return -(np.linalg.norm(achieved - desired, axis=-1) > eps).astype(np.float32)
