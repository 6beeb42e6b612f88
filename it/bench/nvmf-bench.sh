#!/usr/bin/env bash
# NVMe/TCP benchmark (not a test): fio 4 KiB randread and randwrite at QD 1, 16 and 128 through the kernel's NVMe/TCP
# host, against Tensorplane's target (null and mem namespaces) and, in the same run with the same `nvme connect`
# options, the kernel's nvmet-tcp with a null_blk namespace. Prints a Markdown table (IOPS, mean latency, ratios).
#
#   TENSORPLANE_VM_TCG=multi it/testbed/run-in-vm [--kernel 7.3|6.12] --timeout 1500 it/bench/nvmf-bench.sh [VAR=value]...
#   (in the QEMU test bed, default kernel 7.3; results in $TP_OUT). The mem namespace is written end to end before it is measured.
#
# Settings (environment variables or VAR=value arguments): FIO_RUNTIME (seconds per point, default 8), WARMUP (seconds of QD128 randread per Tensorplane namespace
# before measuring, default 15: the JVM compiles its hot paths), CONNECT_OPTS (extra `nvme connect` options for both
# targets, e.g. "-i 2" or "--disable-sqflow"), TP_OPTS (extra `nvmf serve` options, e.g. "--transport epoll"),
# TP_CPUS (run the target JVM with `taskset -c $TP_CPUS`, e.g. 0), FIO_CPUS (CPUs of fio, default 0: the host then
# uses the I/O queue of CPU 0 for every point), ROUNDS (default 2: every target is measured in ROUNDS interleaved
# rounds and each point keeps its best, the same rule for nvmet-tcp and this target; one 8 s point moves by up to 30 %
# on this bed), ALT_TRANSPORT (default io_uring: a second target JVM with `--transport $ALT_TRANSPORT` and a null
# namespace, measured beside the default one in the same rounds; empty: none).
set -uo pipefail
for kv in "$@"; do
  case $kv in
    FIO_RUNTIME=*|WARMUP=*|CONNECT_OPTS=*|TP_OPTS=*|TP_CPUS=*|FIO_CPUS=*|ROUNDS=*|ALT_TRANSPORT=*|CAPTURE=*) export "${kv?}" ;;
    *) echo "nvmf-bench: unknown argument $kv" >&2; exit 2 ;;
  esac
done
: "${TP_REPO:?run this in the test bed (it/testbed/run-in-vm)}"
. "$TP_REPO/it/testbed/guest-lib.sh"
export FIO_RUNTIME=${FIO_RUNTIME:-8}
WARMUP=${WARMUP:-15}
CONNECT_OPTS=${CONNECT_OPTS:-}
TP_OPTS=${TP_OPTS:-}
TP_CPUS=${TP_CPUS:-}
export FIO_CPUS=${FIO_CPUS-0}
ROUNDS=${ROUNDS:-2}
ALT_TRANSPORT=${ALT_TRANSPORT-io_uring}
pin=()
[ -n "$TP_CPUS" ] && pin=(taskset -c "$TP_CPUS")
out=${TP_OUT:-/tmp}
NULL_NQN=nqn.2026-01.io.tensorplane:bench-null
MEM_NQN=nqn.2026-01.io.tensorplane:bench-mem
K_NQN=nqn.2026-01.io.tensorplane:bench-nvmet
ALT_NQN=nqn.2026-01.io.tensorplane:bench-alt

bench_require_multi_tcg || exit 1
tp_modprobe nvme-tcp || exit 1
nullb_load 16 || exit 1
kernel_nvmet_start "$K_NQN" /dev/nullb0 4421 127.0.0.1 || exit 1

cat > "$out/nvmf-bench.yaml" <<YAML
listen: 127.0.0.1:4420
subsystems:
  - nqn: $NULL_NQN
    namespaces: [ "null:16G,bs=4096" ]
  - nqn: $MEM_NQN
    namespaces: [ "mem:1G,bs=4096" ]
YAML
# shellcheck disable=SC2086
"${pin[@]}" java -Dchronicle.analytics.disable=true -jar "$TP_JAR" nvmf serve --config "$out/nvmf-bench.yaml" $TP_OPTS \
  > "$out/nvmf-bench-target.log" 2>&1 &
tpid=$!
apid=
trap 'nvme disconnect-all >/dev/null 2>&1; kill $tpid $apid 2>/dev/null; wait $tpid $apid; kernel_nvmet_stop "$K_NQN" 4421' EXIT
for _ in $(seq 300); do grep -q serving "$out/nvmf-bench-target.log" && break; sleep 0.2; done
grep -q serving "$out/nvmf-bench-target.log" || { cat "$out/nvmf-bench-target.log"; exit 1; }
devs=(kdev ndev mdev)
if [ -n "$ALT_TRANSPORT" ]; then
  # shellcheck disable=SC2086
  "${pin[@]}" java -Dchronicle.analytics.disable=true -XX:ErrorFile="$out/hs_err_alt_%p.log" -jar "$TP_JAR" nvmf serve --listen 127.0.0.1:4422 \
    --subsystem "$ALT_NQN" --ns null:16G,bs=4096 --transport "$ALT_TRANSPORT" $TP_OPTS > "$out/nvmf-bench-alt.log" 2>&1 &
  apid=$!
  for _ in $(seq 300); do grep -q serving "$out/nvmf-bench-alt.log" && break; sleep 0.2; done
  grep -q serving "$out/nvmf-bench-alt.log" || { cat "$out/nvmf-bench-alt.log"; exit 1; }
  devs+=(adev)
fi

# The kernel host's own bytes for the codec's tests (CAPTURE=0: skip): a few commands with digests through a tap.
[ "${CAPTURE:-1}" = 1 ] && { "$TP_REPO/it/bench/nvmf-capture.sh" "$out" "$MEM_NQN" 4420 || echo "nvmf-bench: capture failed" >&2; }
# shellcheck disable=SC2086
kdev=$(nvme_connect_tcp "$K_NQN" 4421 127.0.0.1 $CONNECT_OPTS) || exit 1
# shellcheck disable=SC2086
ndev=$(nvme_connect_tcp "$NULL_NQN" 4420 127.0.0.1 $CONNECT_OPTS) || exit 1
# shellcheck disable=SC2086
mdev=$(nvme_connect_tcp "$MEM_NQN" 4420 127.0.0.1 $CONNECT_OPTS) || exit 1
adev=
if [ -n "$ALT_TRANSPORT" ]; then
  # shellcheck disable=SC2086
  adev=$(nvme_connect_tcp "$ALT_NQN" 4422 127.0.0.1 $CONNECT_OPTS --ctrl-loss-tmo=5) || exit 1
  echo "tensorplane/null on $ALT_TRANSPORT: $adev" >&2
  grep -E 'transport' "$out/nvmf-bench-alt.log" >&2
fi
echo "nvmet-tcp/null_blk: $kdev  tensorplane/null: $ndev  tensorplane/mem: $mdev  (connect options: '${CONNECT_OPTS}', serve options: '${TP_OPTS}', cpus: '${TP_CPUS:-all}', fio on CPUs '${FIO_CPUS:-all}', best of $ROUNDS rounds)" >&2
grep -E 'transport' "$out/nvmf-bench-target.log" >&2

precondition "$mdev" || exit 1
fio_point "$ndev" randread 128 "$WARMUP" >/dev/null
fio_point "$mdev" randwrite 128 "$WARMUP" >/dev/null
fio_point "$mdev" randread 128 "$WARMUP" >/dev/null
[ -n "$adev" ] && fio_point "$adev" randread 128 "$WARMUP" >/dev/null

declare -A R
for ((round = 1; round <= ROUNDS; round++)); do
  for rw in randread randwrite; do
    for dev in "${devs[@]}"; do
      for qd in 1 16 128; do
        # The second target's failure costs its row, not the run (its controller gives up after 5 s).
        r=$(fio_point "${!dev}" "$rw" "$qd") || { [ "$dev" = adev ] || exit 1; r="0 0.0"; }
        echo "round $round: $rw $dev QD$qd: $r" >&2
        if [ "$round" -eq 1 ] || [ "${r% *}" -gt "${R[$rw,$dev,$qd]% *}" ]; then R[$rw,$dev,$qd]=$r; fi
      done
    done
  done
done

iops() { awk '{print $1}' <<<"$1"; }
lat() { awk '{print $2}' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
  echo "kernel $(uname -r), $(nproc) vCPU; fio 4 KiB, io_uring, O_DIRECT, ${FIO_RUNTIME} s per point; nvme connect options: ${CONNECT_OPTS:-(defaults)}"
  echo
  echo "| workload | target | QD1 IOPS | QD1 lat µs | QD16 IOPS | QD16 lat µs | QD128 IOPS | QD128 lat µs | QD128 IOPS vs nvmet | QD1 lat vs nvmet |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for rw in randread randwrite; do
    for dev in "${devs[@]}"; do
      case $dev in kdev) name="kernel nvmet-tcp, null_blk" ;; ndev) name="tensorplane, null" ;; mdev) name="tensorplane, mem" ;;
        adev) name="tensorplane, null, $ALT_TRANSPORT" ;; esac
      row="| 4k $rw | $name |"
      for qd in 1 16 128; do row="$row $(iops "${R[$rw,$dev,$qd]}") | $(lat "${R[$rw,$dev,$qd]}") |"; done
      row="$row $(ratio "$(iops "${R[$rw,$dev,128]}")" "$(iops "${R[$rw,kdev,128]}")")x | $(ratio "$(lat "${R[$rw,$dev,1]}")" "$(lat "${R[$rw,kdev,1]}")")x |"
      echo "$row"
    done
  done
} | tee "$out/nvmf-bench.md"
