#!/bin/bash
# PID 1 of the guest after switch_root: the host's root file system (read-only 9p + tmpfs overlay).
# Finishes the set-up (tmpfs /run, /dev/shm, devpts, lo up, hostname), then reads $TP_SHARE/.testbed/env
# (written by run-in-vm) and either runs one script (TP_GUEST_MODE=script) or the command agent
# (TP_GUEST_MODE=agent, see guest-agent.sh). Always ends with a forced power-off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
off() {
  sync
  /bin/busybox poweroff -f 2>/dev/null
  echo o > /proc/sysrq-trigger
  sleep 10
}
for arg in $(</proc/cmdline); do
  case $arg in tp.share=*) TP_SHARE=${arg#*=} ;; esac
done
export TP_SHARE
echo "testbed: root switched after $(cut -d" " -f1 /proc/uptime) s" > /dev/console
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/lock
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd 2>/dev/null
# Device nodes of modules that load on first open (loop-control, fuse, ...), as systemd's kmod-static-nodes does.
# modules.devname lines: "<module> <node> <c|b><major>:<minor>"
while read -r mod node spec; do
  case $mod in '#'*|'') continue ;; esac
  majmin=${spec:1}
  [ -e "/dev/$node" ] || { mkdir -p "$(dirname "/dev/$node")"; mknod -m 600 "/dev/$node" "${spec:0:1}" "${majmin%%:*}" "${majmin##*:}"; }
done < "/lib/modules/$(uname -r)/modules.devname"
hostname testbed
ip link set lo up
if [ -z "${TP_SHARE:-}" ] || [ ! -f "$TP_SHARE/.testbed/env" ]; then
  echo "testbed: no $TP_SHARE/.testbed/env; nothing to run" >&2
  off
fi
# shellcheck disable=SC1091
. "$TP_SHARE/.testbed/env"
export TP_REPO TP_SHARE TP_OUT=$TP_SHARE TP_JAR TP_KVER TP_MODE=vm
[ -n "${TP_JAVA_HOME:-}" ] && export JAVA_HOME=$TP_JAVA_HOME PATH=$TP_JAVA_HOME/bin:$PATH
# Filesystems the tests use; loading them now costs little and avoids any autoload surprise.
[ -n "${TP_PRELOAD:-}" ] && modprobe -q -a $TP_PRELOAD
echo "testbed: modules after $(cut -d" " -f1 /proc/uptime) s" > /dev/console
echo "testbed: guest up after $(cut -d" " -f1 /proc/uptime) s ($(uname -r), $(nproc) vCPU, $(awk '/MemTotal/{print int($2/1024)" MiB"}' /proc/meminfo))" > /dev/console
cd "$TP_REPO" 2>/dev/null || cd /
case ${TP_GUEST_MODE:-script} in
  agent)
    bash "$TP_REPO/it/testbed/guest-agent.sh"
    ;;
  script)
    if [ -x "$TP_SCRIPT" ]; then
      timeout -k 5 "$TP_TIMEOUT" "$TP_SCRIPT" "${TP_ARGS[@]}" < /dev/null
    else
      timeout -k 5 "$TP_TIMEOUT" bash "$TP_SCRIPT" "${TP_ARGS[@]}" < /dev/null
    fi
    rc=$?
    [ $rc = 124 ] || [ $rc = 137 ] && echo "testbed: script timed out after ${TP_TIMEOUT}s" > /dev/console
    echo $rc > "$TP_SHARE/.testbed/exit-code"
    ;;
esac
off
