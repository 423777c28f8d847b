#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for tests and trying out
# scripts/slurm/submit.sh: munged, slurmctld and slurmd started directly (no
# systemd), as root, with everything (configuration, munge key and socket,
# state, logs, pid files) under one directory.
#
#   scripts/slurm/local-cluster.sh install|start|stop|status
#
#   install installs Debian's slurm-wlm and munge with apt-get if they are
#           missing (without starting their system services); what
#           scripts/setup.sh runs as root.
#   start   installs Debian's slurm-wlm and munge with apt-get if they are
#           missing, writes DIR/slurm.conf for this host (one node with
#           $(nproc) CPUs and most of its memory, one partition `debug`),
#           creates the munge key, starts the daemons not already running and
#           waits until sinfo shows the node idle; prints
#           `export SLURM_CONF=DIR/slurm.conf` on stdout, for
#           eval "$(scripts/slurm/local-cluster.sh start)".
#   stop    cancels the cluster's jobs and stops the daemons it started (by
#           the pids in DIR/run); logs stay in DIR/log.
#   status  exit 0 when all three daemons run and the node responds.
#
# Environment: SIMSGD_SLURM_DIR (default /tmp/simsgd-slurm),
# SIMSGD_SLURM_CTLD_PORT and SIMSGD_SLURM_SLURMD_PORT (default 6817, 6818),
# SIMSGD_SLURM_WAIT (seconds to wait for the node, default 60).
#
# Its own munge socket and SLURM_CONF keep it apart from any system munge or
# Slurm; it is meant for a test machine or CI container, not for a host that
# is already a node of a real cluster.
set -euo pipefail

dir=${SIMSGD_SLURM_DIR:-/tmp/simsgd-slurm}
ctld_port=${SIMSGD_SLURM_CTLD_PORT:-6817}
slurmd_port=${SIMSGD_SLURM_SLURMD_PORT:-6818}
wait_s=${SIMSGD_SLURM_WAIT:-60}
conf=$dir/slurm.conf
socket=$dir/munge/munge.socket
node=$(hostname -s)

note() { echo "local-cluster: $*" >&2; }
die() { echo "local-cluster: $1" >&2; exit "${2:-1}"; }

usage="usage: scripts/slurm/local-cluster.sh install|start|stop|status"
[ $# -eq 1 ] || die "$usage" 2

# alive PID: a process that has not exited (a zombie has, whoever reaps it).
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# The pid in DIR/run/NAME.pid when that process is alive and is NAME.
running_pid() {
    local name=$1 pidfile="$dir/run/$1.pid" pid
    [ -s "$pidfile" ] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [ -n "$pid" ] && alive "$pid" || return 1
    [ "$(cat "/proc/$pid/comm")" = "$name" ] || return 1
    echo "$pid"
}

install_packages() {
    if command -v slurmctld >/dev/null 2>&1 && command -v slurmd >/dev/null 2>&1 &&
        command -v sbatch >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 &&
        command -v mungekey >/dev/null 2>&1; then
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "slurm-wlm and munge are not installed and apt-get is not available"
    note "installing slurm-wlm and munge with apt-get"
    # Keep the packages' services from starting with the system configuration
    # (this script starts its own); only where no policy is set already.
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
    fi
    local ok=1
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o=Dpkg::Use-Pty=0 \
            --no-install-recommends slurm-wlm munge; } >"$dir/log/apt.log" 2>&1 || ok=0
    [ "$added" = 1 ] && rm -f "$policy"
    [ "$ok" = 1 ] || die "apt-get could not install slurm-wlm and munge (see $dir/log/apt.log)"
}

write_conf() {
    local cpus mem
    cpus=$(nproc)
    # 90% of the memory (MB), so that slurmd never finds less.
    mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
    cat >"$conf.tmp" <<CONF
# Written by scripts/slurm/local-cluster.sh: one node, no cgroups, no accounting.
ClusterName=simsgd
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
InactiveLimit=0
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    mv -f "$conf.tmp" "$conf"
}

start_munged() {
    running_pid munged >/dev/null && return 0
    [ -s "$dir/munge/munge.key" ] || mungekey -c -k "$dir/munge/munge.key" >/dev/null 2>&1 ||
        die "mungekey could not create $dir/munge/munge.key"
    chmod 600 "$dir/munge/munge.key"
    rm -f "$socket" "$socket.lock"
    munged --force --socket="$socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" >>"$dir/log/munged.log" 2>&1 ||
        die "munged did not start: $(tail -n 1 "$dir/log/munged.log" 2>/dev/null)"
    local i
    for ((i = 0; i < 50; i++)); do
        if munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    die "munged does not answer on $socket (see $dir/log/munged.log)"
}

# start_daemon NAME: slurmctld or slurmd, daemonising, with a fresh state.
start_daemon() {
    local name=$1 i
    running_pid "$name" >/dev/null && return 0
    rm -f "$dir/run/$name.pid"
    case "$name" in
        slurmctld) slurmctld -c -f "$conf" >>"$dir/log/slurmctld.log" 2>&1 ;;
        slurmd) slurmd -c -f "$conf" -N "$node" >>"$dir/log/slurmd.log" 2>&1 ;;
    esac || die "$name did not start: $(tail -n 1 "$dir/log/$name.log" 2>/dev/null)"
    for ((i = 0; i < 100; i++)); do
        running_pid "$name" >/dev/null && return 0
        sleep 0.1
    done
    die "$name exited at start: $(tail -n 1 "$dir/log/$name.log" 2>/dev/null)"
}

node_state() { sinfo -h -N -n "$node" -o %T 2>/dev/null | head -n 1; }

wait_idle() {
    local state='' resumed=0 start=$SECONDS
    while ((SECONDS - start < wait_s)); do
        state=$(node_state || true)
        case "$state" in
            idle | mixed | allocated | completing) return 0 ;;
            down* | drain* | fail*)
                # A node the controller remembered as down: one resume.
                if [ "$resumed" = 0 ] && ((SECONDS - start >= 3)); then
                    scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
                    resumed=1
                fi ;;
        esac
        for name in slurmctld slurmd; do
            running_pid "$name" >/dev/null ||
                die "$name exited: $(tail -n 1 "$dir/log/$name.log" 2>/dev/null)"
        done
        sleep 0.5
    done
    die "node $node not idle after ${wait_s}s (state '${state:-unknown}'; see $dir/log)"
}

stop_pid() {
    local name=$1 pid i
    pid=$(running_pid "$name") || { rm -f "$dir/run/$name.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        note "$name ($pid) still running after 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/run/$name.pid"
}

stop_all() {
    if [ -f "$conf" ] && running_pid slurmctld >/dev/null && command -v scancel >/dev/null 2>&1; then
        SLURM_CONF=$conf timeout 10 scancel --user=root >/dev/null 2>&1 || true
    fi
    stop_pid slurmd
    stop_pid slurmctld
    stop_pid munged
}

stop_on_failure() {
    local rc=$?
    [ "$rc" -eq 0 ] || stop_all
    exit "$rc"
}

case "$1" in
    install)
        [ "$(id -u)" -eq 0 ] || die "must run as root (apt-get)"
        mkdir -p "$dir/log"
        install_packages
        ;;
    start)
        [ "$(id -u)" -eq 0 ] || die "must run as root (the daemons run as root with SlurmUser=root)"
        mkdir -p "$dir"/{munge,run,log,state,spool}
        chmod 700 "$dir/munge"
        install_packages
        export SLURM_CONF=$conf
        if ! running_pid slurmctld >/dev/null || ! running_pid slurmd >/dev/null; then
            write_conf
        fi
        # A failed start leaves nothing running.
        trap 'stop_on_failure' EXIT
        start_munged
        start_daemon slurmctld
        start_daemon slurmd
        wait_idle
        trap - EXIT
        note "node $node idle ($(nproc) CPUs); logs in $dir/log"
        echo "export SLURM_CONF=$conf"
        ;;
    stop)
        stop_all
        note "stopped"
        ;;
    status)
        for name in munged slurmctld slurmd; do
            running_pid "$name" >/dev/null || die "$name is not running"
        done
        state=$(SLURM_CONF=$conf node_state || true)
        [ -n "$state" ] || die "the controller does not answer"
        echo "node $node: $state"
        ;;
    *) die "$usage" 2 ;;
esac
