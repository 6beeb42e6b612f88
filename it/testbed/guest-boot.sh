#!/bin/bash
# PID 1 of the guest after switch_root: the host's root file system (read-only 9p + tmpfs overlay).
# (The initramfs already mounted /run, /dev/shm, devpts, made static device nodes and brought lo up.) Reads $TP_SHARE/.testbed/env
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
uptime_s() { local up _; read -r up _ < /proc/uptime; echo "$up"; }   # no fork: forks are slow here
echo "testbed: root switched after $(uptime_s) s" > /dev/console
if [ -z "${TP_SHARE:-}" ] || [ ! -f "$TP_SHARE/.testbed/env" ]; then
  echo "testbed: no $TP_SHARE/.testbed/env; nothing to run" >&2
  off
fi
# shellcheck disable=SC1091
. "$TP_SHARE/.testbed/env"
export TP_REPO TP_SHARE TP_OUT=$TP_SHARE TP_JAR TP_KVER TP_KSERIES TP_UAPI_INCLUDE TP_MODE=vm
[ -n "${TP_JAVA_HOME:-}" ] && export JAVA_HOME=$TP_JAVA_HOME PATH=$TP_JAVA_HOME/bin:$PATH
# Filesystems the tests use; loading them now costs little and avoids any autoload surprise.
[ -n "${TP_PRELOAD:-}" ] && modprobe -q -a $TP_PRELOAD
mem=$(</proc/meminfo); mem=${mem#MemTotal:}; mem=${mem%% kB*}
echo "testbed: guest up after $(uptime_s) s (kernel $TP_KVER, $((${mem// /} / 1024)) MiB)" > /dev/console
# Guest time must run at the host's pace (fio figures, time limits). The wall clock started from the emulated RTC
# (host time) at boot; if the two differ by more than a few seconds now, the TSC calibration went wrong.
if [ -r /sys/class/rtc/rtc0/since_epoch ]; then
  printf -v now '%(%s)T' -1
  skew=$(( now - $(</sys/class/rtc/rtc0/since_epoch) ))
  if [ "${skew#-}" -gt 3 ]; then
    echo "testbed: WARNING: guest clock is ${skew} s off the RTC after $(uptime_s) s: timing figures are wrong ($(dmesg | grep -m1 -o 'tsc: Detected.*'))" > /dev/console
  fi
fi
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
