#!/usr/bin/env bash
# A single-node Slurm on this machine, for trying and testing `lrtool compare --shard` as a job
# array (scripts/scaleout-test.sh, docs/compare.md). Debian's slurm-wlm and munge, installed with
# apt-get when missing; every file in one folder ($LRTOOL_SLURM_DIR, default /tmp/lrtool-slurm):
# munge key and socket, slurm.conf, state, spool, logs. No systemd: the daemons are started
# directly (munged as the munge user, slurmctld and slurmd as root), with process tracking that
# needs no cgroups (proctrack/linuxproc, task/none), so it also works in a container.
#
#   scripts/slurm-localhost.sh [start]   install if needed, configure, start what is not running,
#                                        wait until sinfo shows the node idle (idempotent)
#   scripts/slurm-localhost.sh status    exit 0 when all three daemons run and the node is up
#   scripts/slurm-localhost.sh stop      stop the daemons it started (state and logs stay)
#
# Then `export SLURM_CONF=$LRTOOL_SLURM_DIR/slurm.conf` (start prints it; when
# /etc/slurm/slurm.conf does not exist it is made a link to that file, so plain sbatch works).
# Settings: LRTOOL_SLURM_DIR, LRTOOL_SLURM_PORT (slurmctld's port, default 6817; slurmd uses the
# next one), LRTOOL_SLURM_WAIT (seconds to wait for the node, default 60). Needs root.
# Exit status: 0 done, 1 could not install, configure or start (the reason and the logs' tails
# are printed), 2 bad usage.
set -euo pipefail

DIR=${LRTOOL_SLURM_DIR:-/tmp/lrtool-slurm}
PORT=${LRTOOL_SLURM_PORT:-6817}
WAIT=${LRTOOL_SLURM_WAIT:-60}
CONF=$DIR/slurm.conf
MUNGE_SOCKET=$DIR/munge-run/munge.socket
ETC_CONF=/etc/slurm/slurm.conf

say() { echo "slurm-localhost: $*"; }
die() {
    echo "slurm-localhost: $*" >&2
    exit 1
}

# alive PIDFILE NAME: the process in PIDFILE runs (not a zombie) and is NAME
alive() {
    local pid
    [ -r "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/status" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

# stop_daemon PIDFILE NAME: SIGTERM, then up to 10 s for it to go, then SIGKILL
stop_daemon() {
    local pid i
    if alive "$1" "$2"; then
        pid=$(cat "$1")
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            alive "$1" "$2" || break
            sleep 0.2
        done
        if alive "$1" "$2"; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        say "stopped $2 (pid $pid)"
    fi
    rm -f "$1"
}

logs_tail() {
    local f
    for f in "$DIR"/munge/munged.log "$DIR"/log/slurmctld.log "$DIR"/log/slurmd.log; do
        [ -s "$f" ] || continue
        echo "--- last lines of $f" >&2
        tail -n 15 "$f" >&2
    done
}

munge_works() {
    munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1
}

node_state() {
    sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1
}

install_packages() {
    local missing=()
    command -v munged >/dev/null 2>&1 || missing+=(munge)
    for c in slurmctld slurmd sbatch; do
        command -v "$c" >/dev/null 2>&1 || { missing+=(slurm-wlm) && break; }
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "${missing[*]} missing and no apt-get to install them"
    say "installing ${missing[*]} (apt-get)"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        -o DPkg::Lock::Timeout=120 --no-install-recommends slurm-wlm munge) >"$DIR/log/apt.log" 2>&1 ||
        { tail -n 20 "$DIR/log/apt.log" >&2; die "apt-get install slurm-wlm munge failed"; }
}

write_conf() {
    local node_line
    # the node as slurmd sees it: NodeName=<host> CPUs=… Boards=… … RealMemory=<MB>
    node_line=$(slurmd -C 2>/dev/null | grep -m 1 '^NodeName=') || die "slurmd -C printed no node line"
    NODE=$(sed 's/^NodeName=\([^ ]*\).*/\1/' <<<"$node_line")
    cat >"$CONF.new" <<EOF
# written by scripts/slurm-localhost.sh: one node ($NODE, this machine), one partition
ClusterName=lrtool-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
# no cgroups: track a job's processes by their parent, no task binding (works in containers)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
# CPUs are the consumable: one task per CPU unless a job asks for more
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# start a job (an array task, the dependent merge) as soon as the previous one ends: the default
# waits up to 3 s (batch_sched_delay) before the next scheduling pass
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    if [ -f "$CONF" ] && cmp -s "$CONF" "$CONF.new"; then
        rm -f "$CONF.new"
        CONF_CHANGED=0
    else
        mv "$CONF.new" "$CONF"
        CONF_CHANGED=1
    fi
}

start_munged() {
    if alive "$DIR/munge-run/munged.pid" munged && munge_works; then
        return 0
    fi
    stop_daemon "$DIR/munge-run/munged.pid" munged
    if [ ! -s "$DIR/munge/munge.key" ]; then
        mungekey --create --keyfile="$DIR/munge/munge.key" >/dev/null 2>&1 ||
            dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    fi
    chown -R munge:munge "$DIR/munge" "$DIR/munge-run"
    chmod 700 "$DIR/munge"
    chmod 600 "$DIR/munge/munge.key"
    chmod 755 "$DIR/munge-run"
    runuser -u munge -- munged --socket="$MUNGE_SOCKET" --key-file="$DIR/munge/munge.key" \
        --log-file="$DIR/munge/munged.log" --pid-file="$DIR/munge-run/munged.pid" \
        --seed-file="$DIR/munge/munged.seed" 8>&- ||
        { logs_tail; die "munged did not start"; }
    munge_works || { logs_tail; die "munged started but munge/unmunge fail"; }
    say "started munged (pid $(cat "$DIR/munge-run/munged.pid"))"
}

start_slurm() {
    local i
    if [ "$CONF_CHANGED" = 1 ]; then
        # a new configuration: daemons running with an old one start again
        stop_daemon "$DIR/run/slurmd.pid" slurmd
        stop_daemon "$DIR/run/slurmctld.pid" slurmctld
    fi
    if ! alive "$DIR/run/slurmctld.pid" slurmctld; then
        slurmctld -f "$CONF" 8>&- || { logs_tail; die "slurmctld did not start"; }
        for i in $(seq 1 50); do
            scontrol ping 2>/dev/null | grep -q 'is UP' && break
            sleep 0.2
        done
        scontrol ping 2>/dev/null | grep -q 'is UP' || { logs_tail; die "slurmctld does not answer"; }
        say "started slurmctld (pid $(cat "$DIR/run/slurmctld.pid"))"
    fi
    if ! alive "$DIR/run/slurmd.pid" slurmd; then
        slurmd -f "$CONF" 8>&- || { logs_tail; die "slurmd did not start"; }
        for i in $(seq 1 50); do
            alive "$DIR/run/slurmd.pid" slurmd && break
            sleep 0.2
        done
        say "started slurmd (pid $(cat "$DIR/run/slurmd.pid" 2>/dev/null || echo ?))"
    fi
}

wait_idle() {
    local state i resumed=0
    for i in $(seq 1 $((WAIT * 5))); do
        state=$(node_state)
        case "$state" in
        idle | mixed | allocated) break ;;
        down* | drain* | fail*)
            # left so by an earlier session's state: slurmd is up now, give the node back
            if [ "$resumed" = 0 ]; then
                scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true
                resumed=1
            fi
            ;;
        esac
        sleep 0.2
    done
    case "$state" in
    idle | mixed | allocated) ;;
    *)
        sinfo -N -l >&2 || true
        logs_tail
        die "node $NODE is not up after ${WAIT} s (state: ${state:-unknown})"
        ;;
    esac
    say "node $NODE is $state: $(sinfo -h -N -n "$NODE" -o '%c CPUs, %m MB, partition %P')"
}

link_etc_conf() {
    # plain sbatch/sinfo read /etc/slurm/slurm.conf: point it here unless it is someone else's
    if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
        return 0
    fi
    if [ ! -e "$ETC_CONF" ] && [ ! -L "$ETC_CONF" ] && [ -d "$(dirname "$ETC_CONF")" ]; then
        ln -s "$CONF" "$ETC_CONF" && say "linked $ETC_CONF -> $CONF"
    fi
}

cmd=${1:-start}
case "$cmd" in
start | stop | status) ;;
*)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac
[ "$(id -u)" = 0 ] || die "needs root (it installs packages and runs slurmd and munged)"
export SLURM_CONF=$CONF
if [ "$cmd" != status ]; then
    # one start or stop at a time (the daemons do not inherit the lock: 8>&- where they start)
    exec 8>"$DIR.lock"
    flock -w 120 8 || die "another slurm-localhost.sh has held $DIR.lock for 120 s"
fi

case "$cmd" in
stop)
    stop_daemon "$DIR/run/slurmd.pid" slurmd
    stop_daemon "$DIR/run/slurmctld.pid" slurmctld
    stop_daemon "$DIR/munge-run/munged.pid" munged
    if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then
        rm -f "$ETC_CONF"
    fi
    exit 0
    ;;
status)
    for d in "run/slurmctld.pid slurmctld" "run/slurmd.pid slurmd" "munge-run/munged.pid munged"; do
        set -- $d
        alive "$DIR/$1" "$2" || { say "$2 is not running"; exit 1; }
    done
    NODE=$(sed -n 's/^NodeName=\([^ ]*\).*/\1/p' "$CONF")
    state=$(node_state)
    case "$state" in
    idle | mixed | allocated) say "running; node $NODE is $state; SLURM_CONF=$CONF" ;;
    *) say "daemons run but node $NODE is ${state:-unknown}" && exit 1 ;;
    esac
    exit 0
    ;;
esac

mkdir -p "$DIR"/{munge,munge-run,state,spool,log,run}
chmod 755 "$DIR"
install_packages
command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to start munged as munge"
id munge >/dev/null 2>&1 || die "no munge user (the munge package makes it)"
write_conf
start_munged
start_slurm
wait_idle
link_etc_conf
say "ready: export SLURM_CONF=$CONF; stop with $0 stop"
