#!/bin/sh
# PID 1 of the test-bed initramfs (busybox). Loads the 9p and overlay modules, mounts the host's / (9p, read-only)
# under a tmpfs overlay, bind-mounts the unpacked kernel's module tree at /lib/modules/<version>, mounts the
# writable 9p share at its host path, then switch_root's into it/testbed/guest-boot.sh (from the shared root).
# switch_root (not chroot) so that PID 1 and the kernel's threads share the new root: module autoloading works.
# Parameters come from the kernel command line: tp.kver, tp.moddir, tp.share, tp.init, tp.rwsize, tp.systemd, tp.lower,
# tp.repo.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "testbed-init: FAILED: $*" > /dev/console; sleep 1; poweroff -f; }
for arg in $(cat /proc/cmdline); do
  case $arg in tp.*=*) k=${arg%%=*}; k=${k#tp.}; eval "tp_$k=\${arg#*=}" ;; esac
done
[ -n "$tp_kver" ] && [ -n "$tp_moddir" ] && [ -n "$tp_init" ] || fail "kernel command line lacks tp.kver/tp.moddir/tp.init"
echo "testbed-init: $(cut -d" " -f1 /proc/uptime)" > /dev/console
while read -r m; do insmod "/modules/$m" || fail "insmod $m"; done < /modules/order
# host: where the host's / is mounted; lower: the guest's root before the overlay. For the x86-64 guest both are the
# host's /; for another architecture (tp.lower=DIR, a root built for it on the host) the guest's root is DIR of the
# host, and the repository (tp.repo) is bind-mounted into it at its host path.
mkdir -p /mnt/host /mnt/rw /mnt/root
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=${tp_msize:-512000},cache=${tp_cache:-loose} tproot /mnt/host || fail "cannot mount the host root (9p tag tproot)"
host=/mnt/host
lower=$host${tp_lower:-}
[ -d "$lower/usr" ] || fail "no guest root at ${tp_lower:-/} of the host"
mount -t tmpfs -o "size=${tp_rwsize:-75%},mode=755" tmpfs /mnt/rw || fail "tmpfs"
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=$lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /mnt/root || fail "overlay mount"
mkdir -p "/mnt/root/lib/modules/$tp_kver"
mount -o bind "$host$tp_moddir" "/mnt/root/lib/modules/$tp_kver" || fail "cannot bind the module tree $tp_moddir"
if [ -n "${tp_lower:-}" ] && [ -n "${tp_repo:-}" ]; then
  mkdir -p "/mnt/root$tp_repo"
  mount -o bind "$host$tp_repo" "/mnt/root$tp_repo" || fail "cannot bind the repository $tp_repo"
fi
if [ -n "$tp_share" ]; then
  mkdir -p "/mnt/root$tp_share"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 tpshare "/mnt/root$tp_share" || fail "cannot mount the writable share (9p tag tpshare)"
fi
# The rest of the set-up uses busybox here: in the new root every dynamically linked binary is paged in over 9p
# under emulation (a fork+exec costs 30-400 ms there).
mount -t tmpfs -o mode=755 tmpfs /mnt/root/run
mkdir -p /mnt/root/run/lock /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
# device nodes of modules that load on first open (loop-control, fuse, ...), as kmod-static-nodes does;
# modules.devname lines: "<module> <node> <c|b><major>:<minor>"
while read -r mod node spec; do
  case $mod in '#'*|'') continue ;; esac
  case $node in */*) mkdir -p "/dev/${node%/*}" ;; esac
  t=${spec%"${spec#?}"}; mm=${spec#?}
  [ -e "/dev/$node" ] || mknod -m 600 "/dev/$node" "$t" "${mm%%:*}" "${mm##*:}"
done < "$host$tp_moddir/modules.devname"
ip link set lo up || fail "cannot bring lo up"
hostname testbed
for d in proc sys dev; do mount --move "/$d" "/mnt/root/$d" || fail "mount --move /$d"; done
if [ "${tp_systemd:-0}" = 1 ]; then
  # systemd as PID 1 (for tests of systemd units): it starts only tp-testbed.target (systemd.unit= on the kernel
  # command line), which runs guest-boot.sh as a service; everything else starts when a test's unit pulls it in.
  # The host may itself be a container: systemd would take its /.dockerenv for this guest's and then ignore the
  # kernel command line (systemd.unit=) and run as in a container. The overlay hides it from the guest.
  rm -f /mnt/root/.dockerenv /mnt/root/run/.containerenv
  u=/mnt/root/run/systemd/system
  mkdir -p "$u"
  printf '%s\n' '[Unit]' 'Description=Tensorplane test bed' 'DefaultDependencies=no' 'Requires=tp-testbed.service' \
    'After=tp-testbed.service' 'AllowIsolate=yes' > "$u/tp-testbed.target"
  printf '%s\n' '[Unit]' 'Description=Tensorplane test bed agent' 'DefaultDependencies=no' \
    '[Service]' "ExecStart=/bin/bash $tp_init" 'StandardInput=null' 'StandardOutput=tty' 'TTYPath=/dev/console' \
    'StandardError=tty' 'KillMode=process' 'TimeoutStopSec=5' > "$u/tp-testbed.service"
  exec switch_root /mnt/root /lib/systemd/systemd
fi
exec switch_root /mnt/root "$tp_init"
fail "switch_root failed"
