#!/usr/bin/env bash
# Regenerates every figure of the gallery (results/README.md) at full size:
# results/figures/<name>.{csv,png,svg}. Uses a GPU where one opens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
exec ./target/release/simsgd figure --all --out results/figures "$@"
