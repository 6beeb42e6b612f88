#!/usr/bin/env bash
# Baseline of the kernel's own block paths, measured in the same guest (or host) as the project's benchmarks so that
# they can report their ratio to the kernel in the same run:
#   fio 4 KiB randread, io_uring, O_DIRECT, QD 1 / 16 / 128, against
#     1. kernel null_blk (/dev/nullb0)                       — the ceiling
#     2. kernel nvmet-tcp over loopback, null_blk namespace  — the kernel's NVMe/TCP target + host
# Run it in the test bed:   it/testbed/run-in-vm [--kernel 7.3|6.12] it/bench/baseline.sh   (default kernel 7.3)
# Environment: FIO_RUNTIME (seconds per point, default 8), NVME_CONNECT_OPTS (extra `nvme connect` options),
#              BASELINE_RW (default randread). Prints a Markdown table; also writes it to $TP_OUT/baseline.md.
set -uo pipefail
: "${TP_REPO:=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)}"
# shellcheck disable=SC1091
. "$TP_REPO/it/testbed/guest-lib.sh"
export FIO_RUNTIME=${FIO_RUNTIME:-8}
rw=${BASELINE_RW:-randread}
nqn=nqn.2026-01.io.tensorplane:baseline
[ "$(id -u)" = 0 ] || { echo "baseline: must run as root (use it/testbed/run-in-vm it/bench/baseline.sh)" >&2; exit 1; }

cleanup() {
  nvme disconnect -n "$nqn" >/dev/null 2>&1
  kernel_nvmet_stop "$nqn" 4420 >/dev/null 2>&1
}
trap cleanup EXIT

nullb_load 16 || exit 1
kernel_nvmet_start "$nqn" /dev/nullb0 4420 127.0.0.1 || exit 1
# shellcheck disable=SC2086
ndev=$(nvme_connect_tcp "$nqn" 4420 127.0.0.1 ${NVME_CONNECT_OPTS:-}) || exit 1

out=${TP_OUT:-/tmp}/baseline.md
{
  echo "# kernel baseline: fio $rw 4 KiB, io_uring, O_DIRECT, ${FIO_RUNTIME} s per point"
  echo "# $(uname -r), $(nproc) CPUs, mode ${TP_MODE:-unknown}; nvme connect options: ${NVME_CONNECT_OPTS:-(defaults)}"
  echo
  echo "| path | QD1 IOPS | QD1 mean lat µs | QD16 IOPS | QD16 mean lat µs | QD128 IOPS | QD128 mean lat µs |"
  echo "|---|---|---|---|---|---|---|"
} | tee "$out"
fio_table_row "kernel null_blk" /dev/nullb0 "$rw" | tee -a "$out" || exit 1
fio_table_row "kernel nvmet-tcp loopback (null_blk ns)" "$ndev" "$rw" | tee -a "$out" || exit 1
