#!/usr/bin/env bash
# File-backend benchmark (not a test): fio 4 KiB randread and randwrite at QD 1, 16, 64 and 128 on real block devices
# and on what serves them again, all in one run:
#   the device itself | the kernel loop driver over it (losetup --direct-io=on) | [a C ublk server's loop target over it,
#   when UBLKSRV names its binary] | Tensorplane ublk with file:<device>,direct | the kernel's nvmet-tcp exporting the
#   device (through the kernel host) | Tensorplane's NVMe/TCP target with file:<device>,direct (same host, same options)
# on two devices: "slow", a null_blk disk that completes every I/O after 1 ms from a timer (a stand-in for a slow
# drive), and "fast", a null_blk disk with no added latency. Prints Markdown tables with every ratio and the reference
# path's own figures beside it.
#
#   TENSORPLANE_VM_TCG=multi it/testbed/run-in-vm --timeout 3600 it/bench/file-bench.sh [VAR=value]...
#
# Settings (environment or VAR=value arguments): FIO_RUNTIME (seconds per point, default 8), ROUNDS (default 2: every
# path is measured in ROUNDS interleaved rounds and each point keeps its best, the same rule for the kernel's paths and
# ours), DEVICES (default "slow fast"), BENCH_QDS (default "1 16 64 128"), BENCH_RW (default "randread randwrite"),
# PATHS (default "dev loop cublk ublk nvmet tpnvmf"; also "ublkown": ublk with --backend-ring own, "ublkbuf": ublk with
# --copy buffer), UBLK_ADD_ARGS (default "--queues 1 --depth 128"), UBLKSRV (path
# of a C ublk server's `ublk` binary, ublksrv's; its row is left out without it), FIO_CPUS (default 0), SERVER_CPUS
# (CPUs of the Tensorplane servers, default 1).
set -uo pipefail
for kv in "$@"; do
  case $kv in
    FIO_RUNTIME=*|ROUNDS=*|DEVICES=*|BENCH_QDS=*|BENCH_RW=*|PATHS=*|UBLK_ADD_ARGS=*|UBLKSRV=*|FIO_CPUS=*|SERVER_CPUS=*) export "${kv?}" ;;
    *) echo "file-bench: unknown argument $kv" >&2; exit 2 ;;
  esac
done
repo=${TP_REPO:-$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)}
# shellcheck disable=SC1091
. "$repo/it/testbed/guest-lib.sh"
jar=${TP_JAR:-$repo/launcher/target/tensorplane.jar}
out=${TP_OUT:-/tmp}
export FIO_RUNTIME=${FIO_RUNTIME:-8}
ROUNDS=${ROUNDS:-2}
devices=${DEVICES:-slow fast}
qds=${BENCH_QDS:-1 16 64 128}
rws=${BENCH_RW:-randread randwrite}
paths=${PATHS:-dev loop cublk ublk nvmet tpnvmf}
add_args=${UBLK_ADD_ARGS:---queues 1 --depth 128}
export FIO_CPUS=${FIO_CPUS-0}
server_cpus=${SERVER_CPUS-1}
[ -n "${UBLKSRV:-}" ] && [ -x "$UBLKSRV" ] || paths=${paths//cublk/}
K_NQN=nqn.2026-01.io.tensorplane:bench-nvmet
T_NQN=nqn.2026-01.io.tensorplane:bench-file

pin=(); [ -n "$server_cpus" ] && pin=(taskset -c "$server_cpus")
tp() { "${pin[@]}" java -XX:+UseParallelGC -Xms256m -Xmx256m -Dchronicle.analytics.disable=true -jar "$jar" "$@"; }

bench_require_multi_tcg || exit 1
tp_modprobe ublk_drv loop nvme-tcp || exit 1
# slow: every I/O completes 1 ms after it is queued (a timer); fast: at once. Neither keeps data (memory_backed=0):
# reads return what the driver has, which is all the benchmark needs.
nullb_create slow 4096 4096 memory_backed=0 discard=0 irqmode=2 completion_nsec=1000000 hw_queue_depth=256 || exit 1
nullb_create fast 4096 4096 memory_backed=0 discard=0 hw_queue_depth=256 || exit 1

declare -A DEV   # DEV[device,path] = block device to run fio on
cleanup() {
  nvme disconnect-all >/dev/null 2>&1
  [ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
  for d in $devices; do kernel_nvmet_stop "$K_NQN-$d" 4421 >/dev/null 2>&1; done
  tp ublk del --all >/dev/null 2>&1
  [ -n "${UBLKSRV:-}" ] && "$UBLKSRV" del -a >/dev/null 2>&1
  losetup -D 2>/dev/null
}
trap cleanup EXIT

# Tensorplane's NVMe/TCP target: one subsystem per device, port 4420
yaml=$out/file-bench.yaml
{ echo "listen: 127.0.0.1:4420"; echo "subsystems:"
  for d in $devices; do echo "  - nqn: $T_NQN-$d"; echo "    namespaces: [ \"file:/dev/$d,direct\" ]"; done; } > "$yaml"
if [[ " $paths " == *" tpnvmf "* ]]; then
  "${pin[@]}" java -XX:+UseParallelGC -Dchronicle.analytics.disable=true -jar "$jar" nvmf serve --config "$yaml" \
    > "$out/file-bench-target.log" 2>&1 &
  tpid=$!
  for _ in $(seq 600); do grep -q serving "$out/file-bench-target.log" && break; sleep 0.2; done
  grep -q serving "$out/file-bench-target.log" || { cat "$out/file-bench-target.log"; exit 1; }
fi

for d in $devices; do
  for p in $paths; do
    case $p in
      dev) DEV[$d,$p]=/dev/$d ;;
      loop) DEV[$d,$p]=$(losetup --direct-io=on --find --show "/dev/$d") || exit 1 ;;
      cublk)
        o=$("$UBLKSRV" add -t loop -f "/dev/$d" -q 1 -d 128) || { echo "file-bench: $UBLKSRV add failed: $o" >&2; exit 1; }
        DEV[$d,$p]=/dev/ublkb$(sed -n 's/.*dev id \([0-9]*\).*/\1/p' <<<"$o" | head -n 1)
        [ -b "${DEV[$d,$p]}" ] || { echo "file-bench: no ublk device from: $o" >&2; exit 1; } ;;
      ublk|ublkown|ublkbuf)
        ring=shared copy=auto; [ "$p" = ublkown ] && ring=own; [ "$p" = ublkbuf ] && copy=buffer
        # shellcheck disable=SC2086
        o=$(tp ublk add --backend "file:/dev/$d,direct" $add_args ${pin[0]:+--no-pin} --backend-ring "$ring" --copy "$copy") || { echo "file-bench: ublk add failed" >&2; exit 1; }
        DEV[$d,$p]=$(sed -n 's/.*"path":"\([^"]*\)".*/\1/p' <<<"$o")
        echo "file-bench: ublk on /dev/$d: $o" >&2 ;;
      nvmet)
        kernel_nvmet_start "$K_NQN-$d" "/dev/$d" 4421 127.0.0.1 || exit 1
        DEV[$d,$p]=$(nvme_connect_tcp "$K_NQN-$d" 4421 127.0.0.1) || exit 1 ;;
      tpnvmf) DEV[$d,$p]=$(nvme_connect_tcp "$T_NQN-$d" 4420 127.0.0.1) || exit 1 ;;
    esac
  done
done
# warm the servers' JIT before measuring
for d in $devices; do
  for p in ublk ublkown ublkbuf tpnvmf; do
    [ -n "${DEV[$d,$p]:-}" ] && fio_point "${DEV[$d,$p]}" randrw 32 6 >/dev/null
  done
done

declare -A R
for ((round = 1; round <= ROUNDS; round++)); do
  for d in $devices; do
    for p in $paths; do
      for rw in $rws; do
        for qd in $qds; do
          r=$(fio_point "${DEV[$d,$p]}" "$rw" "$qd") || exit 1
          echo "file-bench: round $round: $d $p $rw QD$qd: $r" >&2
          if [ "$round" -eq 1 ] || [ "${r% *}" -gt "${R[$d,$p,$rw,$qd]% *}" ]; then R[$d,$p,$rw,$qd]=$r; fi
        done
      done
    done
  done
done

name() {
  case $1 in
    dev) echo "the device itself" ;; loop) echo "kernel loop driver (--direct-io=on)" ;;
    cublk) echo "C ublk server, loop target (1 queue, depth 128)" ;; ublk) echo "Tensorplane ublk, file:DEV,direct ($add_args)" ;;
    ublkown) echo "Tensorplane ublk, backend on a ring of its own (--backend-ring own)" ;;
    ublkbuf) echo "Tensorplane ublk, per-tag buffers the kernel copies (--copy buffer)" ;;
    nvmet) echo "kernel nvmet-tcp exporting it" ;; tpnvmf) echo "Tensorplane NVMe/TCP, file:DEV,direct" ;;
  esac
}
# the path each one is compared with: the device for the ublk side, nvmet-tcp for NVMe/TCP
ref() { case $1 in nvmet|tpnvmf) echo nvmet ;; *) echo dev ;; esac; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
qd1=${qds%% *} # the latency column is the lowest queue depth's
{
  echo "fio 4 KiB, io_uring, O_DIRECT, ${FIO_RUNTIME} s per point, best of $ROUNDS interleaved rounds; $(nproc) vCPU; kernel $(uname -r);"
  echo "fio on CPUs ${FIO_CPUS:-any}, Tensorplane servers on CPUs ${server_cpus:-any}. IOPS (x the reference: the device itself for local paths,"
  echo "nvmet-tcp for NVMe/TCP); for loop and Tensorplane ublk also x the kernel loop driver."
  for d in $devices; do
    echo
    case $d in slow) echo "### null_blk completing every I/O after 1 ms" ;; fast) echo "### null_blk with no added latency" ;; esac
    for rw in $rws; do
      echo
      hdr="| $rw | reference |"; sep="|---|---|"
      for qd in $qds; do hdr="$hdr QD$qd IOPS | x ref | x loop |"; sep="$sep---:|---:|---:|"; done
      hdr="$hdr QD$qd1 mean lat µs |"; sep="$sep---:|"
      echo "$hdr"; echo "$sep"
      for p in $paths; do
        rp=$(ref "$p"); row="| $(name "$p") | $(name "$rp") |"
        for qd in $qds; do
          i=${R[$d,$p,$rw,$qd]% *}
          row="$row $i | $(ratio "$i" "${R[$d,$rp,$rw,$qd]% *}")x |"
          case $p in loop|ublk|ublkown|ublkbuf|cublk) row="$row $(ratio "$i" "${R[$d,loop,$rw,$qd]% *}")x |" ;; *) row="$row |" ;; esac
        done
        row="$row ${R[$d,$p,$rw,$qd1]#* } |"
        echo "$row"
      done
    done
  done
} | tee "$out/file-bench.md"
