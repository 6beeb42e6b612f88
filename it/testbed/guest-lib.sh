# shellcheck shell=bash
# Guest-side helpers of the Tensorplane test bed. Sourced automatically into every command run through the Java API
# (io.tensorplane.it.bed.Guest); in scripts run with run-in-vm: . "$TP_REPO/it/testbed/guest-lib.sh"
# Functions print one clear line on stderr and return non-zero on failure; none of them calls exit.
#
#   tp_modprobe MOD...                         load modules (one message naming what failed)
#   nullb_load [GB]                            load null_blk with one device, /dev/nullb0 (default 16 GiB, 4 KiB blocks)
#   nullb_create NAME MB [BS] [ATTR=VALUE...]  a configfs null_blk disk /dev/NAME that keeps its data (memory_backed,
#                                              discard), e.g. nullb_create tpdisk 1024 4096; nullb_remove NAME powers it
#                                              off (the disk vanishes under whoever has it open) and removes it
#   image_mount FS DIR MB                      a file system FS (ext4, xfs, vfat) on a loop device over an image in /tmp,
#                                              mounted at DIR; image_umount DIR undoes it
#   fs_mount FS DEV DIR                        a fresh file system FS on block device DEV, mounted at DIR (a null_blk disk
#                                              is much faster under emulation than a loop device over the tmpfs root)
#   kernel_nvmet_start NQN DEV [PORT] [ADDR]   the kernel's NVMe/TCP target (configfs): subsystem NQN with namespace 1 = DEV,
#                                              listening on ADDR:PORT (127.0.0.1:4420), any host allowed
#   kernel_nvmet_stop NQN [PORT]               undo kernel_nvmet_start
#   nvme_connect_tcp NQN [PORT] [ADDR] [OPTS]  nvme connect; prints the namespace block device (e.g. /dev/nvme0n1)
#   nvme_disconnect_nqn NQN                    nvme disconnect
#   nvme_ns_of NQN                             prints the namespace block device of a connected subsystem
#   nvme_nses_of NQN                           prints all of them, one per line, in namespace id (nsid) order
#   wait_for_path PATH [SECONDS]               wait until PATH exists (default 10 s)
#   fio_point DEV RW QD [SECONDS] [BS]         one fio io_uring O_DIRECT point; prints "IOPS LAT_US" (mean latency, µs)
#   fio_table_row LABEL DEV [RW]               fio_point at QD 1, 16, 128; prints one table row
#
# Environment: TP_REPO, TP_JAR, TP_SHARE (= TP_OUT), TP_MODE (vm|native), FIO_RUNTIME (default 8 s per point).

tp_err() { echo "testbed: $*" >&2; }

# bench_require_multi_tcg: benchmarks measure with both host cores emulating the guest (TENSORPLANE_VM_TCG=multi);
# under the test bed's default single-threaded TCG all vCPUs share one host thread and the ratios mean little.
bench_require_multi_tcg() {
  if grep -q 'tp.tcg=single' /proc/cmdline 2>/dev/null; then
    tp_err "this guest runs single-threaded TCG; benchmarks need: TENSORPLANE_VM_TCG=multi it/testbed/run-in-vm ..."
    return 1
  fi
}

# precondition DEV: write the whole device once (1 MiB sequential writes) so that measurements see steady state
# (a fresh mem device otherwise pays the guest kernel's page fault for every first write to a page).
precondition() {
  fio --name=precondition --filename="$1" --rw=write --bs=1M --iodepth=8 --ioengine=io_uring --direct=1 \
      --output=/dev/null >/dev/null 2>&1 || { tp_err "preconditioning $1 failed"; return 1; }
}

tp_modprobe() {
  local m rc=0
  for m in "$@"; do
    modprobe "$m" || { tp_err "modprobe $m failed (kernel $(uname -r))"; rc=1; }
  done
  return $rc
}

wait_for_path() {
  local p=$1 secs=${2:-10} i
  for ((i = 0; i < secs * 20; i++)); do
    [ -e "$p" ] && return 0
    sleep 0.05
  done
  tp_err "$p did not appear within ${secs} s"
  return 1
}

nullb_load() {
  local gb=${1:-16}
  if [ ! -e /sys/module/null_blk ]; then
    modprobe null_blk nr_devices=1 gb="$gb" bs=4096 || { tp_err "modprobe null_blk failed"; return 1; }
  fi
  wait_for_path /dev/nullb0 10
}

nullb_create() {
  local name=$1 mb=$2 bs=${3:-4096} d kv
  [ -n "$name" ] && [ -n "$mb" ] || { tp_err "usage: nullb_create NAME MB [BS] [ATTR=VALUE...]"; return 2; }
  shift 3 2>/dev/null || shift $#
  if [ ! -e /sys/module/null_blk ]; then
    modprobe null_blk nr_devices=0 || { tp_err "modprobe null_blk failed"; return 1; }
  fi
  if ! mountpoint -q /sys/kernel/config; then
    mount -t configfs none /sys/kernel/config || { tp_err "cannot mount configfs"; return 1; }
  fi
  d=/sys/kernel/config/nullb/$name
  mkdir "$d" || { tp_err "cannot create null_blk $name"; return 1; }
  echo "$mb" > "$d/size" && echo "$bs" > "$d/blocksize" && echo 1 > "$d/memory_backed" && echo 1 > "$d/discard" \
    && echo 2 > "$d/queue_mode" || { tp_err "cannot configure null_blk $name"; return 1; }
  for kv in "$@"; do echo "${kv#*=}" > "$d/${kv%%=*}" || { tp_err "null_blk $name: cannot set $kv"; return 1; }; done
  echo 1 > "$d/power" || { tp_err "cannot power on null_blk $name"; return 1; }
  wait_for_path "/dev/$name" 10
}

nullb_remove() {
  local d=/sys/kernel/config/nullb/$1
  [ -d "$d" ] || return 0
  echo 0 > "$d/power" 2>/dev/null
  rmdir "$d" || { tp_err "cannot remove null_blk $1"; return 1; }
}

image_mount() {
  local fs=$1 dir=$2 mb=$3 img loop
  [ -n "$fs" ] && [ -n "$dir" ] && [ -n "$mb" ] || { tp_err "usage: image_mount FS DIR MB"; return 2; }
  tp_modprobe loop "$fs" >/dev/null || return 1
  img=/tmp/image-$(echo "$dir" | tr / _).img
  truncate -s "${mb}M" "$img" || { tp_err "cannot create $img"; return 1; }
  loop=$(losetup --find --show "$img") || { tp_err "losetup $img failed"; return 1; }
  fs_mount "$fs" "$loop" "$dir" || { losetup -d "$loop"; return 1; }
}

fs_mount() {
  local fs=$1 dev=$2 dir=$3
  tp_modprobe "$fs" >/dev/null || return 1
  case $fs in
    ext4) mkfs.ext4 -q -F "$dev" ;;
    xfs) mkfs.xfs -q -f "$dev" ;;
    vfat) mkfs.vfat "$dev" >/dev/null ;;
    *) tp_err "fs_mount: unknown file system $fs"; return 2 ;;
  esac || { tp_err "mkfs.$fs $dev failed"; return 1; }
  mkdir -p "$dir" && mount "$dev" "$dir" || { tp_err "cannot mount $dev on $dir"; return 1; }
}

image_umount() {
  local dir=$1 loop
  mountpoint -q "$dir" || return 0
  loop=$(findmnt -n -o SOURCE "$dir")
  umount "$dir" || umount -l "$dir" || { tp_err "cannot unmount $dir"; return 1; }
  case $loop in /dev/loop*) losetup -d "$loop" 2>/dev/null ;; esac
  rm -f "/tmp/image-$(echo "$dir" | tr / _).img"
}

tp_configfs() {
  [ -d /sys/kernel/config/nvmet ] && return 0
  tp_modprobe nvmet nvmet-tcp || return 1
  if ! mountpoint -q /sys/kernel/config; then
    mount -t configfs none /sys/kernel/config || { tp_err "cannot mount configfs"; return 1; }
  fi
  [ -d /sys/kernel/config/nvmet ] || { tp_err "no /sys/kernel/config/nvmet after modprobe nvmet"; return 1; }
}

kernel_nvmet_start() {
  local nqn=$1 dev=$2 port=${3:-4420} addr=${4:-127.0.0.1}
  [ -n "$nqn" ] && [ -n "$dev" ] || { tp_err "usage: kernel_nvmet_start NQN DEV [PORT] [ADDR]"; return 2; }
  [ -b "$dev" ] || [ -f "$dev" ] || { tp_err "kernel_nvmet_start: $dev is not a block device or file"; return 1; }
  tp_configfs || return 1
  local s=/sys/kernel/config/nvmet/subsystems/$nqn p=/sys/kernel/config/nvmet/ports/$port
  mkdir -p "$s" || { tp_err "cannot create nvmet subsystem $nqn"; return 1; }
  echo 1 > "$s/attr_allow_any_host"
  mkdir -p "$s/namespaces/1"
  echo -n "$dev" > "$s/namespaces/1/device_path" || { tp_err "nvmet: cannot set device_path $dev"; return 1; }
  echo 1 > "$s/namespaces/1/enable" || { tp_err "nvmet: cannot enable namespace $dev"; return 1; }
  if [ ! -d "$p" ]; then
    mkdir "$p" || { tp_err "cannot create nvmet port $port"; return 1; }
    echo tcp > "$p/addr_trtype"
    echo ipv4 > "$p/addr_adrfam"
    echo "$addr" > "$p/addr_traddr"
    echo "$port" > "$p/addr_trsvcid"
  fi
  [ -e "$p/subsystems/$nqn" ] || ln -s "$s" "$p/subsystems/$nqn" || { tp_err "nvmet: cannot bind $nqn to port $port"; return 1; }
}

kernel_nvmet_stop() {
  local nqn=$1 port=${2:-4420}
  local s=/sys/kernel/config/nvmet/subsystems/$nqn p=/sys/kernel/config/nvmet/ports/$port
  rm -f "$p/subsystems/$nqn" 2>/dev/null
  [ -d "$p" ] && [ -z "$(ls -A "$p/subsystems" 2>/dev/null)" ] && rmdir "$p" 2>/dev/null
  if [ -d "$s" ]; then
    echo 0 > "$s/namespaces/1/enable" 2>/dev/null
    rmdir "$s/namespaces/1" 2>/dev/null
    rmdir "$s" || { tp_err "cannot remove nvmet subsystem $nqn"; return 1; }
  fi
  return 0
}

nvme_nses_of() {
  local nqn=$1 d n
  for d in /sys/class/nvme-subsystem/nvme-subsys*; do
    [ -f "$d/subsysnqn" ] && [ "$(cat "$d/subsysnqn")" = "$nqn" ] || continue
    # the kernel numbers namespace disks in the order it scanned them (asynchronously), not by nsid
    for n in "$d"/nvme*n*; do
      n=$(basename "$n")
      [[ $n =~ ^nvme[0-9]+n[0-9]+$ ]] && [ -b "/dev/$n" ] && echo "$(cat "/sys/block/$n/nsid") /dev/$n"
    done | sort -n | cut -d' ' -f2
    return 0
  done
  return 1
}

nvme_ns_of() {
  local nqn=$1 d n
  for d in /sys/class/nvme-subsystem/nvme-subsys*; do
    [ -f "$d/subsysnqn" ] && [ "$(cat "$d/subsysnqn")" = "$nqn" ] || continue
    for n in "$d"/nvme*n*; do
      n=$(basename "$n")
      [[ $n =~ ^nvme[0-9]+n[0-9]+$ ]] && [ -b "/dev/$n" ] && { echo "/dev/$n"; return 0; }
    done
  done
  for d in /sys/class/nvme/nvme*; do
    [ -f "$d/subsysnqn" ] && [ "$(cat "$d/subsysnqn")" = "$nqn" ] || continue
    for n in "$d"/nvme*n*; do
      n=$(basename "$n")
      [[ $n =~ ^nvme[0-9]+n[0-9]+$ ]] && [ -b "/dev/$n" ] && { echo "/dev/$n"; return 0; }
    done
  done
  return 1
}

nvme_connect_tcp() {
  local nqn=$1 port=${2:-4420} addr=${3:-127.0.0.1} i
  shift $(( $# < 3 ? $# : 3 ))
  tp_modprobe nvme-tcp || return 1
  nvme connect -t tcp -a "$addr" -s "$port" -n "$nqn" "$@" >/dev/null || { tp_err "nvme connect to $nqn at $addr:$port failed"; return 1; }
  for ((i = 0; i < 200; i++)); do
    nvme_ns_of "$nqn" && return 0
    sleep 0.05
  done
  tp_err "connected to $nqn but no namespace block device appeared within 10 s"
  return 1
}

nvme_disconnect_nqn() {
  nvme disconnect -n "$1" >/dev/null || { tp_err "nvme disconnect -n $1 failed"; return 1; }
}

# fio_point DEV RW QD [SECONDS] [BS] -> "IOPS LAT_US"
# FIO_CPUS (optional): the CPUs fio may run on (--cpus_allowed).
fio_point() {
  local dev=$1 rw=$2 qd=$3 secs=${4:-${FIO_RUNTIME:-8}} bs=${5:-4k} out
  out=$(fio --name=tp --filename="$dev" --rw="$rw" --bs="$bs" --iodepth="$qd" --ioengine=io_uring --direct=1 \
        ${FIO_CPUS:+--cpus_allowed=$FIO_CPUS} \
        --runtime="$secs" --time_based --ramp_time=1 --norandommap --randrepeat=0 --numjobs=1 --group_reporting \
        --output-format=terse --terse-version=3 2>&1) || { tp_err "fio on $dev ($rw, QD $qd) failed: $out"; return 1; }
  echo "$out" | tail -n 1 | awk -F';' -v rw="$rw" '{
    if (rw ~ /write/ && rw !~ /rw/) { iops = $49; lat = $81 }
    else if (rw ~ /rw/)           { iops = $8 + $49; lat = ($8 * $40 + $49 * $81) / (($8 + $49) > 0 ? ($8 + $49) : 1) }
    else                          { iops = $8; lat = $40 }
    printf "%d %.1f\n", iops, lat }'
}

# fio_table_row LABEL DEV [RW] -> "| LABEL | QD1 IOPS | QD1 lat | QD16 IOPS | QD16 lat | QD128 IOPS | QD128 lat |"
fio_table_row() {
  local label=$1 dev=$2 rw=${3:-randread} qd r row="| $1 |"
  for qd in 1 16 128; do
    r=$(fio_point "$dev" "$rw" "$qd") || return 1
    row="$row $(awk '{printf "%d | %.1f", $1, $2}' <<<"$r") |"
  done
  echo "$row"
}
