#!/usr/bin/env bash
# The full-size runs that results/ does not hold yet, in parts that each fit a job of about
# 10 minutes on one H100 or H200, in the order they matter: the paper's figures, push first,
# then the speed settings (push to 95 % is measured; they ask what would make it faster).
# Every part writes its own run folders, so parts can run in any order and on different days;
# `python experiments/plot.py` and `python experiments/summary.py` then draw and tabulate
# whatever has been run.
#
#   bash experiments/full_size.sh                # lists the parts
#   bash experiments/full_size.sh fig4 fig5-p1   # runs them, one after the other
#
# The minutes are estimates from the H200 runs in results/README.md (Fig. 3 push: 10
# members x 3,072,000 env steps in 267 s; Fig. 6's k = 4 part: 17.2 s per epoch of 15
# members), compiling included; a part that runs over stops after --time-limit-s at an
# epoch's end, with what it trained so far in its metrics.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}  # the interpreter that has her_jax's requirements

describe() {
    cat <<'EOF'
part             minutes  what
fig4             5        Fig. 4 push: one fixed goal, DDPG vs DDPG+HER, 5 seeds, 3,072,000 env steps
fig5-p1          4        Fig. 5 push: reward -|g - ag'|, DDPG vs DDPG+HER, 3 seeds, 3,072,000 env steps
fig5-p2          4        the same with -|g - ag'|^2
fig6-push-k1     5        Fig. 6 push: 4 strategies with k = 1 and no HER, 3 seeds, 2,000,000 env steps
fig6-push-k2     5        the same with k = 2 (no HER is in k1)
fig6-push-k4     5        k = 4
fig6-push-k8     5        k = 8
fig6-push-k16    5        k = 16
fig6-push-kall   5        k = all (inf: every goal relabelled)
fig3-pick        9        Fig. 3 pick-and-place: DDPG vs DDPG+HER, 3 seeds, 5,000,000 env steps, half of training starting grasped (the paper's setup)
fig3-slide       9        Fig. 3 slide: DDPG vs DDPG+HER, 3 seeds, 5,000,000 env steps
fig3-push        5        Fig. 3 push again with this code (the committed run predates its defaults)
fig6-pick-k1     5        Fig. 6 pick-and-place as fig6-push-k1, half of training starting grasped (the paper's setup)
fig6-pick-k2     5        the same with k = 2
fig6-pick-k4     5        k = 4
fig6-pick-k8     5        k = 8
fig6-pick-k16    5        k = 16
fig6-pick-kall   5        k = all
fig6-slide-k1    5        Fig. 6 slide as fig6-push-k1
fig6-slide-k2    5        the same with k = 2
fig6-slide-k4    5        k = 4
fig6-slide-k8    5        k = 8
fig6-slide-k16   5        k = 16
fig6-slide-kall  5        k = all
speed            6        bench_train from a cold start as is, then compile and one epoch with 3 XLA settings
speed2           5        bench_train with batch 16,384, then with 512 environments per seed
EOF
}

# a cold start each time: the benchmark's number includes compiling
bench() { HER_JAX_CACHE=off "$PY" experiments/bench_train.py "$@"; }

try_setting() {  # label, XLA flag
    XLA_FLAGS=$2 bench --time-limit-s 1 --label "$1" || echo "== $1 failed (exit $?)" >&2
}

fig6() {  # task, k (inf or all: the paper's "all", part kall), then extra flags
    local k=$2 part="k$2"
    [ "$k" = all ] && k=inf
    [ "$k" = inf ] && part=kall
    "$PY" experiments/fig6_ablation.py --tasks "$1" --seeds 3 --ks "$k" --part "$part" \
        --time-limit-s 500 "${@:3}"
}

run_part() {
    case "$1" in
        speed)
            # XLA logs its own phases (HLO passes, code generation, autotuning) on stderr
            TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_VMODULE=gpu_compiler=1,nvptx_compiler=1,gemm_fusion_autotuner=1 \
                bench --time-limit-s 95 --label asis
            # compiler settings: the compile and one epoch tell what they cost and save; a
            # setting this jax's XLA does not know fails alone, and the next one still runs
            try_setting cublas --xla_gpu_enable_triton_gemm=false
            try_setting autotune1 --xla_gpu_autotune_level=1
            try_setting cmdbuf --xla_gpu_enable_command_buffer=+WHILE,+CONDITIONAL ;;
        speed2)  # learner settings: whether they learn as fast per env step, and in what time
            bench --time-limit-s 95 --batch-size 16384 --updates-per-cycle 300 \
                --target-update-interval 10 --label b16384
            bench --time-limit-s 95 --num-envs 512 --updates-per-cycle 600 --label envs512 ;;
        fig4) "$PY" experiments/fig4_single_goal.py --time-limit-s 500 ;;
        fig5-p1 | fig5-p2) "$PY" experiments/fig5_shaped_rewards.py --exponents "${1#fig5-p}" \
            --seeds 3 --time-limit-s 500 ;;
        # no HER trains once per task, in its k1 part; every part of pick-and-place's sweep
        # starts half of its training episodes grasped, as the paper did
        fig6-push-k1) fig6 fetch_push 1 ;;
        fig6-push-k*) fig6 fetch_push "${1#fig6-push-k}" --no-baseline ;;
        fig6-pick-k1) fig6 fetch_pick_and_place 1 --paper-grasped-starts ;;
        fig6-pick-k*) fig6 fetch_pick_and_place "${1#fig6-pick-k}" --no-baseline \
            --paper-grasped-starts ;;
        fig6-slide-k1) fig6 fetch_slide 1 ;;
        fig6-slide-k*) fig6 fetch_slide "${1#fig6-slide-k}" --no-baseline ;;
        fig3-pick) "$PY" experiments/fig3_fetch_curves.py --tasks fetch_pick_and_place --seeds 3 \
            --paper-grasped-starts --time-limit-s 500 ;;
        fig3-slide) "$PY" experiments/fig3_fetch_curves.py --tasks fetch_slide --seeds 3 \
            --time-limit-s 500 ;;
        fig3-push) "$PY" experiments/fig3_fetch_curves.py --tasks fetch_push --time-limit-s 500 ;;
        *) exit 2 ;;  # names are checked before anything runs
    esac
}

if [ $# -eq 0 ]; then
    describe
    exit 0
fi
parts=$(describe | awk 'NR > 1 {print $1}')
for name in "$@"; do  # a misspelt part is refused before anything runs
    if ! grep -qx -- "$name" <<<"$parts"; then
        echo "error: unknown part '$name'" >&2
        describe >&2
        exit 2
    fi
done
for name in "$@"; do
    echo "== $name"
    run_part "$name"
done
"$PY" experiments/plot.py
