#!/bin/bash
# The shared-memory zero-copy read benchmark of docs/shmem.md, in a 7.3 guest:
#   TENSORPLANE_VM_LOCK=/work/.vm.lock it/testbed/run-in-vm --timeout 900 it/testbed/shmem-bench.sh
# (build the jar first: mvn -B -o -q package -pl launcher -am -DskipTests). One mem:256M --shmem device; per size,
# 2000 sequential O_DIRECT reads into the shared region and into ordinary memory (docs/examples/shmem-client.c), then
# the same sizes from null_blk with fio, the kernel's own block path, in the same boot.
set -euo pipefail
. "$TP_REPO/it/testbed/guest-lib.sh"
tp_modprobe ublk_drv null_blk
wait_for_path /dev/ublk-control 5
tp="java -XX:UseAVX=0 -XX:+UseParallelGC -jar $TP_JAR"
$tp ublk add --backend mem:256M --shmem --id 0
gcc -O2 -Wall -Werror -o /tmp/shmem-client "$TP_REPO/docs/examples/shmem-client.c"
for b in 131072 1048576; do
  /tmp/shmem-client /run/tensorplane/ublk/0.shmem.sock /dev/ublkb0 bench $b 2000
done
sleep 2
echo "server counters: $(grep -o '"requests":{[^}]*}' /run/tensorplane/ublk/0.json)"
$tp ublk del --id 0
for b in 131072 1048576; do
  fio --name=r --filename=/dev/nullb0 --ioengine=psync --direct=1 --rw=read --bs=$b --size=64M --number_ios=2000 \
      --output-format=terse --terse-version=3 | awk -F';' -v b=$b '{print "null_blk " b ": " $7 " KB/s, lat mean " $40 " us"}'
done
