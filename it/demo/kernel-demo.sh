#!/usr/bin/env bash
# The kernel half of `./tensorplane demo --kernel`: run as root on a Linux 6.12+ kernel with ublk_drv
# and nvme-tcp (the test-bed VM, or a host that has them). It puts an ext4 file system on an engine
# device served as /dev/ublkbN, checks it, then exports the engine over NVMe/TCP to the kernel's host.
set -euo pipefail
repo=${TP_REPO:-$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)}
# shellcheck disable=SC1091
. "$repo/it/testbed/guest-lib.sh"
jar=${TP_JAR:-$repo/launcher/target/tensorplane.jar}
tp() { java -Dchronicle.analytics.disable=true -jar "$jar" "$@"; }
step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

dmesg -n 1 2>/dev/null || true   # keep kernel messages off the console: the demo prints what matters
tp_modprobe ublk_drv ext4 >/dev/null
step "The kernel's ublk driver, as Tensorplane sees it"
tp ublk features

step "An engine device (mem:512M, sparse RAM) becomes a Linux block device"
show tp ublk add --backend mem:512M
dev=/dev/ublkb0
trap 'umount /mnt/tp 2>/dev/null || true; tp ublk del --all --force >/dev/null 2>&1 || true' EXIT
show lsblk "$dev"

step "ext4 on it: write files, unmount, fsck, mount again, compare checksums"
mkfs.ext4 -q -F "$dev"
mkdir -p /mnt/tp && mount "$dev" /mnt/tp
for i in 1 2 3; do head -c 16M /dev/urandom > /mnt/tp/file$i; done
(cd /mnt/tp && sha256sum file* > /tmp/tp-demo.sha && cat /tmp/tp-demo.sha)
umount /mnt/tp
show fsck.ext4 -fn "$dev"
mount "$dev" /mnt/tp && (cd /mnt/tp && sha256sum -c /tmp/tp-demo.sha) && umount /mnt/tp

step "fio on the raw device (4 KiB random reads, QD 16, 3 s)"
printf 'IOPS and mean latency (us): %s\n' "$(FIO_RUNTIME=3 fio_point "$dev" randread 16)"

step "ublk list, then del"
show tp ublk list
show tp ublk del --id 0
trap - EXIT

if tp nvmf --help 2>/dev/null | grep -q serve; then
  step "The same engine over NVMe/TCP: the kernel's NVMe/TCP host connects to Tensorplane on 127.0.0.1:4420"
  tp_modprobe nvme-tcp >/dev/null
  nqn=nqn.2026-01.io.tensorplane:demo
  tp nvmf serve --listen 127.0.0.1:4420 --subsystem "$nqn" --ns mem:256M > /tmp/tp-nvmf.log 2>&1 &
  server=$!
  trap 'nvme disconnect -n "$nqn" >/dev/null 2>&1 || true; kill "$server" 2>/dev/null || true' EXIT
  for _ in $(seq 1 240); do   # the JVM starts slowly under emulation: wait until the port listens
    ss -Hltn 'sport = :4420' 2>/dev/null | grep -q . && break
    kill -0 "$server" 2>/dev/null || { echo "demo: nvmf serve exited:"; cat /tmp/tp-nvmf.log; exit 1; }
    sleep 0.5
  done
  show nvme discover -t tcp -a 127.0.0.1 -s 4420
  ns=$(nvme_connect_tcp "$nqn" 4420 127.0.0.1)
  show nvme list
  printf 'IOPS and mean latency (us) on %s: %s\n' "$ns" "$(FIO_RUNTIME=3 fio_point "$ns" randread 16)"
  show nvme disconnect -n "$nqn"
fi
echo
echo "demo: done"
