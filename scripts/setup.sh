#!/usr/bin/env bash
# Installs what simsgd's tests and benchmarks need and a fresh Debian machine
# with a Rust toolchain may lack. Safe to run again: it only installs what is
# missing.
#
# - rustfmt and clippy (the checks in scripts/test.sh), via rustup if absent;
# - NumPy and JAX (CPU), for the benchmark peers (benches/numpy_peer.py,
#   benches/jax_peer.py);
# - Mesa's Vulkan drivers and the Vulkan loader, for the wgpu backend (a
#   software Vulkan device where there is no GPU);
# - as root (CI), Slurm and munge (slurm-wlm, munge), for the single-node
#   cluster of tests/slurm.sh (scripts/slurm/local-cluster.sh install).
set -euo pipefail

note() { echo "setup: $*" >&2; }

# --- Rust components --------------------------------------------------------
for component in rustfmt clippy; do
    case "$component" in
        rustfmt) probe=(cargo fmt --version) ;;
        clippy) probe=(cargo clippy --version) ;;
    esac
    if ! "${probe[@]}" >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1; then
            note "installing the $component component"
            rustup component add "$component"
        else
            note "notice: $component is missing and rustup is not available to install it"
        fi
    fi
done

# --- NumPy (benchmark peer) -------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
    note "notice: python3 not found; the NumPy benchmark peer will be skipped"
elif python3 -c 'import numpy' >/dev/null 2>&1; then
    :
else
    note "installing numpy"
    if ! python3 -m pip install --quiet numpy; then
        note "notice: could not install numpy; the NumPy benchmark peer will be skipped"
    fi
fi

# --- JAX (benchmark peer) ---------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
    note "notice: python3 not found; the JAX benchmark peer will be skipped"
elif python3 -c 'import jax' >/dev/null 2>&1; then
    :
else
    note "installing jax and jaxlib (CPU)"
    if ! python3 -m pip install --quiet jax jaxlib; then
        note "notice: could not install jax and jaxlib; the JAX benchmark peer will be skipped"
    fi
fi

# --- Vulkan (wgpu backend) ---------------------------------------------------
vulkan_packages=(mesa-vulkan-drivers libvulkan1)
if ! command -v apt-get >/dev/null 2>&1; then
    note "notice: apt-get not available; install ${vulkan_packages[*]} (or your system's Vulkan driver and loader) yourself for the GPU backend"
elif dpkg -s "${vulkan_packages[@]}" >/dev/null 2>&1; then
    :
else
    sudo=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    fi
    note "installing ${vulkan_packages[*]}"
    if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o=Dpkg::Use-Pty=0 "${vulkan_packages[@]}"; }; then
        note "notice: could not install ${vulkan_packages[*]} with apt-get; the GPU backend may find no device"
    fi
fi

# --- Slurm (tests/slurm.sh) -------------------------------------------------
# Only as root: the test's single-node cluster runs its daemons as root, and
# skips with a printed reason elsewhere.
if [ "$(id -u)" -ne 0 ]; then
    note "notice: not root; the Slurm part of tests/slurm.sh will be skipped"
elif ! command -v apt-get >/dev/null 2>&1 && ! command -v slurmctld >/dev/null 2>&1; then
    note "notice: apt-get not available; install slurm-wlm and munge yourself for tests/slurm.sh's Slurm part"
elif ! bash "$(dirname "${BASH_SOURCE[0]}")/slurm/local-cluster.sh" install; then
    note "notice: could not install slurm-wlm and munge; the Slurm part of tests/slurm.sh will be skipped"
fi
