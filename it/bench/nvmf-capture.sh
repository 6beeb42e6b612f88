#!/usr/bin/env bash
# Captures what the kernel's NVMe/TCP host sends and receives (not a test): connects to NQN on the target at PORT
# through a TCP tap (tcp-tap.py) with header and data digests and one I/O queue, writes 4 KiB (in-capsule) and 64 KiB
# (R2T and H2CData), reads 64 KiB, disconnects. Leaves OUT/capture-N-{h2c,c2h}.bin, one pair per connection (admin
# queue, I/O queue), which the codec's tests read (nvmeof-target/src/test/resources/kernel-host/).
#
#   nvmf-capture.sh OUT NQN PORT        (in the test bed, with the target serving NQN on 127.0.0.1:PORT)
set -uo pipefail
out=$1 nqn=$2 port=$3
. "$TP_REPO/it/testbed/guest-lib.sh"
/usr/bin/python3 "$TP_REPO/it/bench/tcp-tap.py" 4430 127.0.0.1 "$port" "$out/capture" & tap=$!
sleep 1
dev=$(nvme_connect_tcp "$nqn" 4430 127.0.0.1 -g -G -i 1) || { kill $tap; exit 1; }
head -c 65536 /dev/urandom > /tmp/capture.bin
dd if=/tmp/capture.bin of="$dev" bs=4k count=1 oflag=direct status=none &&
  dd if=/tmp/capture.bin of="$dev" bs=64k count=1 seek=1 oflag=direct status=none &&
  dd if="$dev" of=/tmp/capture.back bs=64k count=1 skip=1 iflag=direct status=none &&
  cmp /tmp/capture.bin /tmp/capture.back || echo "nvmf-capture: data through the tap differ" >&2
nvme_disconnect_nqn "$nqn"
sleep 1
kill $tap
ls -l "$out"/capture-* >&2
