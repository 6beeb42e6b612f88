#!/usr/bin/env bash
# ublk benchmark (not a test): fio 4 KiB randread and randwrite at QD 1, 16 and 128 on Tensorplane ublk devices
# with the null and mem backends, beside the kernel's null_blk measured in the same run.
# Prints IOPS, mean latency and the ratio to null_blk for each point, as a Markdown table.
#
# Run it in the test bed:   TENSORPLANE_VM_TCG=multi it/testbed/run-in-vm [--kernel 7.3|6.12] it/bench/ublk-bench.sh
# (default kernel 7.3; the table's header names the kernel)
# mem devices are written end to end before they are measured (steady state, not first-touch page faults).
# Environment:
#   FIO_RUNTIME       seconds per point (default 8)
#   BENCH_BACKENDS    backends to measure (default "null:16G mem:1G"); an entry may carry 'ublk add' options of its
#                     own after '+', each option one '+' apart: "null:16G+--batch=off null:16G+--batch=on" measures
#                     one command per tag against batched commands on the same backend; and JVM options of its
#                     server after '@', each one '@' apart: "null:16G,trace=/tmp/t1 null:16G,trace=/tmp/t2@-Dtensorplane.trace.idleWriter=false"
#                     measures a trace's writer in SCHED_IDLE against one in the ordinary class
#   BENCH_RW          workloads (default "randread randwrite")
#   BENCH_QDS         queue depths (default "1 16 128")
#   UBLK_ADD_ARGS     extra 'ublk add' options (default "--queues 1 --depth 128")
#   BENCH_JAVA_OPTS   JVM options of the server (default "-XX:+UseParallelGC -XX:+AlwaysPreTouch -Xms256m -Xmx256m")
#   FIO_CPUS          CPUs of fio (default 0)    SERVER_CPUS  CPUs of the ublk server (default 1, with --no-pin)
# Placement is fixed because the scheduler otherwise sometimes puts fio and the queue thread on one vCPU (throughput
# then halves at random). Each point is the best of BENCH_ROUNDS (default 2) interleaved rounds, for every device.
set -uo pipefail
repo=${TP_REPO:-$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)}
# shellcheck disable=SC1091
. "$repo/it/testbed/guest-lib.sh"
jar=${TP_JAR:-$repo/launcher/target/tensorplane.jar}
export FIO_RUNTIME=${FIO_RUNTIME:-8}
backends=${BENCH_BACKENDS:-null:16G mem:1G}
rws=${BENCH_RW:-randread randwrite}
qds=${BENCH_QDS:-1 16 128}
add_args=${UBLK_ADD_ARGS:---queues 1 --depth 128}
export FIO_CPUS=${FIO_CPUS-0}
server_cpus=${SERVER_CPUS-1}
server_pin=()
if [ -n "$server_cpus" ]; then server_pin=(taskset -c "$server_cpus"); add_args="$add_args --no-pin"; fi
java_opts=${BENCH_JAVA_OPTS:--XX:+UseParallelGC -XX:+AlwaysPreTouch -Xms256m -Xmx256m}

tp() { # a server's own JVM options, if any, come in jvm_extra; shellcheck disable=SC2086
  "${server_pin[@]}" java $java_opts ${jvm_extra:-} -Dchronicle.analytics.disable=true -jar "$jar" "$@"; }

bench_require_multi_tcg || exit 1
tp_modprobe ublk_drv || exit 1
nullb_load 16 || exit 1

# The servers' threads: "pid/tid ticks voluntary-switches minor-faults class comm" per thread (ticks: user+system,
# USER_HZ; class: the scheduling policy, stat's field 41, "other" or "idle" for SCHED_IDLE, a trace writer's).
thread_stats() {
  local p t rest ticks faults class sw
  for p in "${pids[@]}"; do
    for t in /proc/"$p"/task/*; do
      rest=$(cat "$t/stat" 2>/dev/null) || continue
      read -r ticks faults class < <(awk '{print $12 + $13, $8, ($39 == 5 ? "idle" : $39 == 0 ? "other" : "policy" $39)}' <<<"${rest##*) }")
      sw=$(awk '/^voluntary_ctxt_switches/{print $2}' "$t/status" 2>/dev/null)
      echo "$p/${t##*/} $ticks ${sw:-0} $faults $class $(cat "$t/comm" 2>/dev/null)"
    done
  done
}
# What each server thread did while one device was measured: CPU share of the interval, wake-ups (voluntary
# context switches) and minor page faults a second, for the threads that used at least 1 % of a CPU or woke over 10
# times a second. Shows where a server's CPU goes, e.g. a trace writer's passes and faults beside the queue thread.
thread_report() { # label before-stats seconds
  local label=$1 before=$2 secs=$3 hz
  hz=$(getconf CLK_TCK)
  thread_stats | before=$before awk -v label="$label" -v secs="$secs" -v hz="$hz" '
    BEGIN { n = split(ENVIRON["before"], b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); t0[f[1]] = f[2]; s0[f[1]] = f[3]; m0[f[1]] = f[4] } }
    { id = $1; c = ($2 - t0[id]) / hz / secs * 100; w = ($3 - s0[id]) / secs; m = ($4 - m0[id]) / secs
      name = $6; for (i = 7; i <= NF; i++) name = name " " $i
      if (c >= 1 || w > 10) printf "bench: during %s: thread %s (%s, %s) %.0f%% CPU, %.0f wake-ups/s, %.0f minor faults/s\n", label, name, id, $5, c, w, m }' >&2
}

# Each CPU's time split, from /proc/stat: "cpuN user nice system idle iowait irq softirq steal" in ticks.
cpu_stats() { awk '/^cpu[0-9]/{print $1, $2, $3, $4, $5, $6, $7, $8, $9}' /proc/stat; }
# How each CPU spent one device's rounds: user, system, interrupts (irq + softirq) and idle. A server that loses
# throughput without its threads taking more CPU shows it here (idle: it waited; system: the kernel worked for it).
cpu_report() { # label before-stats
  cpu_stats | before=$2 awk -v label="$1" '
    BEGIN { n = split(ENVIRON["before"], b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); for (j = 2; j <= 9; j++) c0[f[1], j] = f[j] } }
    { t = 0; for (j = 2; j <= 9; j++) { d[j] = $j - c0[$1, j]; t += d[j] }
      if (t > 0) printf "bench: during %s: %s %.0f%% user, %.0f%% system, %.0f%% irq, %.0f%% idle\n", label, $1,
        100 * (d[2] + d[3]) / t, 100 * d[4] / t, 100 * (d[7] + d[8]) / t, 100 * (d[5] + d[6]) / t }' >&2
}

declare -A iops lat
measure() { # label dev
  local label=$1 dev=$2 rw qd r
  for rw in $rws; do
    for qd in $qds; do
      r=$(fio_point "$dev" "$rw" "$qd") || return 1
      iops[$label,$rw,$qd]=${r% *}
      lat[$label,$rw,$qd]=${r#* }
      echo "bench: $label $rw QD$qd: ${r% *} IOPS, ${r#* } us" >&2
    done
  done
}

# Every device is measured BENCH_ROUNDS times, rounds interleaved (null_blk, each ublk device, then again), and
# each point keeps its best round: the same rule for the kernel's device and ours, so a noisy moment on the host
# does not decide a ratio.
rounds=${BENCH_ROUNDS:-2}
labels=("null_blk"); devs=("/dev/nullb0"); ids=(); pids=()
for b in $backends; do
  # SPEC[+UBLK-ADD-ARG...][@JVM-OPTION@...]: e.g. null:16G,trace=/tmp/t@-Dtensorplane.trace.idleWriter=false
  jvm="" spec=${b%%@*}
  [ "$spec" = "$b" ] || { jvm=${b#*@}; jvm=${jvm//@/ }; }
  extra="" plus=$spec spec=${spec%%+*}
  [ "$spec" = "$plus" ] || extra=${plus#*+}
  # shellcheck disable=SC2086
  out=$(jvm_extra=$jvm tp ublk add --backend "$spec" $add_args ${extra//+/ }) || { echo "bench: ublk add --backend $b failed" >&2; exit 1; }
  dev=$(sed -n 's/.*"path":"\([^"]*\)".*/\1/p' <<<"$out")
  ids+=("$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$out")")
  pids+=("$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' <<<"$out")")
  echo "bench: $b on $dev ($out)" >&2
  case $spec in mem:*) precondition "$dev" || exit 1 ;; esac
  # warm the server's JIT before measuring, at the depths measured: a trace's path was still being compiled in the
  # first round after one warm-up at QD16 (its C2 thread busy, the round 15-25 % below the next)
  for wqd in 1 16 128; do
    fio --name=warm --filename="$dev" --rw=randrw --bs=4k --iodepth=$wqd --ioengine=io_uring --direct=1 --runtime=3 \
        --time_based --size=256M --output=/dev/null >/dev/null 2>&1
  done
  labels+=("ublk $b"); devs+=("$dev")
done
declare -A spread
for ((round = 1; round <= rounds; round++)); do
  for i in "${!labels[@]}"; do
    label=${labels[$i]}
    before=$(thread_stats) cpus_before=$(cpu_stats) t0=$(date +%s.%N)
    measure "$label#$round" "${devs[$i]}" || exit 1
    thread_report "$label#$round" "$before" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')"
    cpu_report "$label#$round" "$cpus_before"
    for rw in $rws; do
      for qd in $qds; do
        r=${iops[$label#$round,$rw,$qd]}
        spread[$label,$rw,$qd]="${spread[$label,$rw,$qd]:+${spread[$label,$rw,$qd]} / }$r"
        if [ "$round" -eq 1 ] || [ "$r" -gt "${iops[$label,$rw,$qd]}" ]; then
          iops[$label,$rw,$qd]=$r; lat[$label,$rw,$qd]=${lat[$label#$round,$rw,$qd]}
        fi
      done
    done
  done
done
for id in "${ids[@]}"; do tp ublk del --id "$id" >/dev/null || exit 1; done
# a trace's cost is only honest beside what it kept: its records and its drops (ring full, disk full)
for b in $backends; do
  [[ $b =~ trace=([^,+@]+) ]] || continue
  # Not tp: the servers' small heap does not hold a long trace's columns. A JVM that dies of a signal is run once
  # more, its crash report beside the results: under multi-threaded TCG this JVM died in 3 of 5 reads on 2026-12-03
  # (SIGSEGV at a C1-compiled method's entry: the torn JIT code run-in-vm describes). On failure: the exit status and
  # the last lines of both streams.
  for try in 1 2; do
    st=$(java -XX:ErrorFile="${TP_OUT:-/tmp}/bench-stat-hs_err-%p.log" -Dchronicle.analytics.disable=true -jar "$jar" \
      trace stat "${BASH_REMATCH[1]}" --json 2>/tmp/bench-stat.err)
    rc=$?
    [ "$rc" -ge 128 ] && [ "$try" = 1 ] && { echo "bench: trace stat ${BASH_REMATCH[1]}: the JVM died (exit status $rc); once more" >&2; continue; }
    break
  done
  [ "$rc" = 0 ] ||
    { echo "bench: trace stat ${BASH_REMATCH[1]} failed (exit status $rc): $(tr '\r' '\n' </tmp/bench-stat.err | tail -3) $(tail -5 <<<"$st")" >&2
      continue; }
  # the summary's own "ios" and "dropped" come before its per-queue ones
  echo "bench: trace of $b: $(grep -m1 -o '"ios" : [0-9]*' <<<"$st" | grep -o '[0-9]*$') records, $(grep -m1 -o '"dropped" : [0-9]*' <<<"$st" | grep -o '[0-9]*$') dropped" >&2
done

echo
echo "fio 4 KiB, io_uring, O_DIRECT, ${FIO_RUNTIME} s per point; $(nproc) vCPU; kernel $(uname -r); ublk add $add_args;"
echo "fio on CPUs ${FIO_CPUS:-any}, server on CPUs ${server_cpus:-any}; each point: the best of $rounds interleaved rounds"
echo
hdr="| device | workload |"; sep="|---|---|"
for qd in $qds; do hdr="$hdr QD$qd IOPS | QD$qd mean lat (us) | QD$qd IOPS vs null_blk | QD$qd lat vs null_blk |"; sep="$sep---:|---:|---:|---:|"; done
echo "$hdr"; echo "$sep"
for label in "${labels[@]}"; do
  for rw in $rws; do
    row="| $label | $rw |"
    for qd in $qds; do
      i=${iops[$label,$rw,$qd]} l=${lat[$label,$rw,$qd]}
      bi=${iops[null_blk,$rw,$qd]} bl=${lat[null_blk,$rw,$qd]}
      row="$row $i | $l | $(awk -v a="$i" -v b="$bi" 'BEGIN{printf "%.2fx", (b > 0 ? a / b : 0)}') | $(awk -v a="$l" -v b="$bl" 'BEGIN{printf "%.1fx", (b > 0 ? a / b : 0)}') |"
    done
    echo "$row"
  done
done
echo
echo "IOPS of each round (QD $qds):"
for label in "${labels[@]}"; do
  for rw in $rws; do
    row="$label $rw:"
    for qd in $qds; do row="$row  QD$qd ${spread[$label,$rw,$qd]}"; done
    echo "$row"
  done
done
