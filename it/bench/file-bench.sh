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
# PATHS (default "dev loop cublk ublk nvmet tpnvmf"). The paths, by data movement:
#   kernel:      dev (the null_blk disk itself), loop (the kernel loop driver over it, --direct-io=on)
#   Tensorplane file:DEV,direct   ublk (--copy auto: zero copy where the kernel has it), ublkbuf (--copy buffer: per-tag
#                buffers the kernel copies), ublkuser (--copy user: pread/pwrite on /dev/ublkcN), ublkbatch (--batch on
#                --copy buffer: batched commands), ublkown (--backend-ring own)
#   Tensorplane null:16G          ublknull (--copy auto), ublknullbuf, ublknulluser, ublknullbatch (as above)
#   C ublk server (ublksrv)       cublk (loop target), cublkzc (loop, --zerocopy), cublknull (null target),
#                cublknullbatch (null, --batch-io); left out without UBLKSRV
#   NVMe/TCP     nvmet (the kernel's nvmet-tcp through the kernel host), tpnvmf (Tensorplane's target, same host)
# A path the running kernel cannot give (batched commands before 7.x, zero copy before 6.16) is left out of the run
# and named under the tables, with the reason the server gave. The null paths are compared with the null_blk disk
# itself. UBLK_ADD_ARGS (default "--queues 1 --depth 128"), UBLKSRV (path of a C ublk server's `ublk` binary,
# ublksrv's, built from its public source; its rows are left out without it), FIO_CPUS (default 0), SERVER_CPUS
# (CPUs of the servers, Tensorplane's and the C one, default 1).
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
if [ -z "${UBLKSRV:-}" ] || [ ! -x "$UBLKSRV" ]; then
  kept=; for p in $paths; do case $p in cublk*) ;; *) kept="$kept $p" ;; esac; done; paths=${kept# }
fi
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
declare -A COPY  # COPY[path] = the data movement a Tensorplane ublk path got (zero, user, buffer)
cleanup() {
  nvme disconnect-all >/dev/null 2>&1
  [ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
  for d in $devices; do kernel_nvmet_stop "$K_NQN-$d" 4421 >/dev/null 2>&1; done
  tp ublk del --all --force >/dev/null 2>&1
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

declare -A LEFT_OUT  # LEFT_OUT[path] = why the running kernel cannot give it
# cublk_add <path> <ublksrv add args...>: a C server device, or the path left out with what the server said
cublk_add() {
  local p=$1 o; shift
  # on the Tensorplane servers' CPUs, like them (its daemon inherits the placement)
  if o=$("${pin[@]}" "$UBLKSRV" add "$@" -q 1 -d 128 2>&1); then
    DEV[$d,$p]=/dev/ublkb$(sed -n 's/.*dev id \([0-9]*\).*/\1/p' <<<"$o" | head -n 1)
    [ -b "${DEV[$d,$p]}" ] || { echo "file-bench: no ublk device from: $o" >&2; exit 1; }
  else
    LEFT_OUT[$p]="ublksrv add $*: $(tail -n 1 <<<"$o")"
    echo "file-bench: $p left out: ${LEFT_OUT[$p]}" >&2
  fi
}
# tp_add <path> <ublk add args...>: a Tensorplane device; a kernel that lacks what the path needs leaves it out
tp_add() {
  local p=$1 o; shift
  # shellcheck disable=SC2086
  if o=$(tp ublk add $add_args ${pin[0]:+--no-pin} "$@" 2>&1); then
    o=$(grep '"path"' <<<"$o" | tail -n 1)
    DEV[$d,$p]=$(sed -n 's/.*"path":"\([^"]*\)".*/\1/p' <<<"$o")
    COPY[$p]=$(sed -n 's/.*"copy":"\([^"]*\)".*/\1/p' <<<"$o")
    echo "file-bench: $p: $o" >&2
  elif grep -q "this kernel's ublk driver has no" <<<"$o"; then
    LEFT_OUT[$p]="ublk add $*: $(grep "this kernel's ublk driver has no" <<<"$o" | head -n 1)"
    echo "file-bench: $p left out: ${LEFT_OUT[$p]}" >&2
  else
    echo "file-bench: ublk add $* failed: $o" >&2; exit 1
  fi
}
for d in $devices; do
  for p in $paths; do
    case $p in
      dev) DEV[$d,$p]=/dev/$d ;;
      loop) DEV[$d,$p]=$(losetup --direct-io=on --find --show "/dev/$d") || exit 1 ;;
      cublk) cublk_add "$p" -t loop -f "/dev/$d" ;;
      cublkzc) cublk_add "$p" -t loop -f "/dev/$d" --zerocopy ;;
      cublknull) cublk_add "$p" -t null ;;
      cublknullbatch) cublk_add "$p" -t null --batch-io ;;
      ublk) tp_add "$p" --backend "file:/dev/$d,direct" --copy auto ;;
      ublkown) tp_add "$p" --backend "file:/dev/$d,direct" --backend-ring own ;;
      ublkbuf) tp_add "$p" --backend "file:/dev/$d,direct" --copy buffer ;;
      ublkuser) tp_add "$p" --backend "file:/dev/$d,direct" --copy user ;;
      ublkbatch) tp_add "$p" --backend "file:/dev/$d,direct" --copy buffer --batch on ;;
      ublknull) tp_add "$p" --backend null:16G --copy auto ;;
      ublknullbuf) tp_add "$p" --backend null:16G --copy buffer ;;
      ublknulluser) tp_add "$p" --backend null:16G --copy user ;;
      ublknullbatch) tp_add "$p" --backend null:16G --copy buffer --batch on ;;
      nvmet)
        kernel_nvmet_start "$K_NQN-$d" "/dev/$d" 4421 127.0.0.1 || exit 1
        DEV[$d,$p]=$(nvme_connect_tcp "$K_NQN-$d" 4421 127.0.0.1) || exit 1 ;;
      tpnvmf) DEV[$d,$p]=$(nvme_connect_tcp "$T_NQN-$d" 4420 127.0.0.1) || exit 1 ;;
      *) echo "file-bench: unknown path $p" >&2; exit 2 ;;
    esac
  done
done
kept=; for p in $paths; do [ -n "${LEFT_OUT[$p]:-}" ] || kept="$kept $p"; done; paths=${kept# }
# warm the servers' JIT before measuring
for d in $devices; do
  for p in $paths; do
    case $p in dev|loop|nvmet) continue ;; esac
    fio_point "${DEV[$d,$p]}" randrw 32 6 >/dev/null
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
    cublk) echo "C ublk server, loop target" ;;
    cublkzc) echo "C ublk server, loop target, --zerocopy" ;;
    cublknull) echo "C ublk server, null target" ;;
    cublknullbatch) echo "C ublk server, null target, --batch-io" ;;
    ublk) echo "Tensorplane ublk, file:DEV,direct, --copy auto (${COPY[ublk]:-?})" ;;
    ublkown) echo "Tensorplane ublk, file:DEV,direct, --backend-ring own (${COPY[ublkown]:-?})" ;;
    ublkbuf) echo "Tensorplane ublk, file:DEV,direct, --copy buffer" ;;
    ublkuser) echo "Tensorplane ublk, file:DEV,direct, --copy user" ;;
    ublkbatch) echo "Tensorplane ublk, file:DEV,direct, --batch on (buffer)" ;;
    ublknull) echo "Tensorplane ublk, null:16G, --copy auto (${COPY[ublknull]:-?})" ;;
    ublknullbuf) echo "Tensorplane ublk, null:16G, --copy buffer" ;;
    ublknulluser) echo "Tensorplane ublk, null:16G, --copy user" ;;
    ublknullbatch) echo "Tensorplane ublk, null:16G, --batch on (buffer)" ;;
    nvmet) echo "kernel nvmet-tcp exporting it" ;; tpnvmf) echo "Tensorplane NVMe/TCP, file:DEV,direct" ;;
  esac
}
# the path each one is compared with: the device for the ublk side, nvmet-tcp for NVMe/TCP
ref() { case $1 in nvmet|tpnvmf) echo nvmet ;; *) echo dev ;; esac; }
# the C server's path doing the same work (null target for null, loop target for file:), if it was measured
peer() {
  local c
  case $1 in ublknull*) c=cublknull ;; ublk*) c=cublk ;; *) return ;; esac
  [[ " $paths " == *" $c "* ]] && echo "$c"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
qd1=${qds%% *} # the latency columns are the lowest queue depth's
{
  echo "fio 4 KiB, io_uring, O_DIRECT, ${FIO_RUNTIME} s per point, best of $ROUNDS interleaved rounds; $(nproc) vCPU; kernel $(uname -r);"
  echo "ublk add $add_args; C server: -q 1 -d 128. fio on CPUs ${FIO_CPUS:-any}, both servers on CPUs ${server_cpus:-any}."
  echo "IOPS and QD$qd1 mean latency, each also as a ratio: x ref (the device itself for local paths, nvmet-tcp for NVMe/TCP),"
  echo "x loop (the kernel loop driver over the same device) and x C (the C ublk server's null or loop target, default mode)."
  for d in $devices; do
    echo
    case $d in slow) echo "### null_blk completing every I/O after 1 ms" ;; fast) echo "### null_blk with no added latency" ;; esac
    for rw in $rws; do
      echo
      hdr="| $rw | reference |"; sep="|---|---|"
      for qd in $qds; do hdr="$hdr QD$qd IOPS | x ref | x loop | x C |"; sep="$sep---:|---:|---:|---:|"; done
      hdr="$hdr QD$qd1 mean lat µs | x ref | x C |"; sep="$sep---:|---:|---:|"
      echo "$hdr"; echo "$sep"
      for p in $paths; do
        rp=$(ref "$p") cp=$(peer "$p"); row="| $(name "$p") | $(name "$rp") |"
        for qd in $qds; do
          i=${R[$d,$p,$rw,$qd]% *}
          row="$row $i | $(ratio "$i" "${R[$d,$rp,$rw,$qd]% *}")x |"
          case $p in loop|ublk|ublkown|ublkbuf|ublkuser|ublkbatch|cublk|cublkzc) row="$row $(ratio "$i" "${R[$d,loop,$rw,$qd]% *}")x |" ;; *) row="$row |" ;; esac
          if [ -n "$cp" ]; then row="$row $(ratio "$i" "${R[$d,$cp,$rw,$qd]% *}")x |"; else row="$row |"; fi
        done
        l=${R[$d,$p,$rw,$qd1]#* }
        row="$row $l | $(ratio "$l" "${R[$d,$rp,$rw,$qd1]#* }")x |"
        if [ -n "$cp" ]; then row="$row $(ratio "$l" "${R[$d,$cp,$rw,$qd1]#* }")x |"; else row="$row |"; fi
        echo "$row"
      done
    done
  done
  if [ -n "${LEFT_OUT[*]:-}" ]; then
    echo
    echo "Not on this kernel:"
    for p in "${!LEFT_OUT[@]}"; do echo "- $p: ${LEFT_OUT[$p]}"; done
  fi
} | tee "$out/file-bench.md"
