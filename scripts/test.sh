#!/usr/bin/env bash
# The project's checks, as CI runs them (.ci/run): set-up, formatting, lints,
# tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Each step's start, in seconds since this script's (CI's time limit is 20 minutes).
start=$SECONDS
step() { echo "== test.sh: $* (at $((SECONDS - start)) s)" >&2; }
step setup
bash scripts/setup.sh
# Mesa's Vulkan driver complains on stderr without a runtime directory.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
step fmt
cargo fmt --check
step clippy
cargo clippy --release --all-targets -- -D warnings
# The CPU-only build (no wgpu) stays clean too.
cargo clippy --release --no-default-features --all-targets -- -D warnings
# The API docs build without a broken link (--release: on the dependencies
# clippy has just checked, instead of checking them all again).
step doc
RUSTDOCFLAGS="-D warnings" cargo doc --release --no-deps --quiet
step cargo test
cargo test --release
# Sharded runs end to end: the xargs launcher and a single-node Slurm cluster
# (SKIP with the reason where Slurm cannot start), with target/release/simsgd.
step slurm
bash tests/slurm.sh
# The GPU check end to end at small sizes, where a GPU adapter is required
# (CI, with lavapipe): the script a GPU machine runs (scripts/gpu-check.sh),
# without the suite's GPU tests, which `cargo test` has just run.
if [ "${SIMSGD_REQUIRE_GPU:-0}" = 1 ]; then
    step gpu-check
    bash scripts/gpu-check.sh --small --no-tests --out "$(mktemp -d)" > /dev/null
fi
step done
