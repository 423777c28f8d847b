#!/usr/bin/env bash
# The project's checks, as CI runs them (.ci/run): set-up, formatting, lints,
# tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
# Mesa's Vulkan driver complains on stderr without a runtime directory.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings
# The CPU-only build (no wgpu) stays clean too.
cargo clippy --release --no-default-features --all-targets -- -D warnings
cargo test --release
