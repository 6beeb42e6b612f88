#!/bin/bash
# The guest's command agent (started by guest-boot.sh in TP_GUEST_MODE=agent; in native mode by the Java API on the
# host). The host (io.tensorplane.it.bed.AgentGuest) drops numbered command files into $TP_SHARE/.testbed/cmd/<n>.sh
# (first line "# timeout=<seconds>"); the agent runs them in order as root, in $TP_REPO, and writes <n>.out, <n>.err
# and finally <n>.rc ("<exit code>\n", 124 when the time limit stopped the command) into .testbed/out/.
# A file cmd/<n>.halt ends the loop (the guest then powers off).
#
# Under emulation every exec of a dynamically linked binary costs 0.3-1 s on a busy host, so the agent execs
# nothing per command: the command runs in a forked subshell, in its own process group (set -m), and the time limit
# is a second forked subshell that waits with `read -t` on a silent fifo, then kills the command's process group.
set -m
__tp_ctl=$TP_SHARE/.testbed
mkdir -p "$__tp_ctl/out"
__tp_fifo=$(mktemp -u "${TMPDIR:-/tmp}/tp-idle.XXXXXX")
if mkfifo "$__tp_fifo" && exec 9<>"$__tp_fifo"; then
  rm -f "$__tp_fifo"
  __tp_wait() { read -r -t "$1" -u 9; }
else
  __tp_wait() { sleep "$1"; }
fi
echo ready > "$__tp_ctl/agent-ready"
echo "testbed: agent ready" >&2
__tp_n=1
while :; do
  __tp_f=$__tp_ctl/cmd/$__tp_n.sh
  if [ -e "$__tp_f" ]; then
    IFS= read -r __tp_t < "$__tp_f"
    __tp_t=${__tp_t#\# timeout=}
    [[ $__tp_t =~ ^[0-9]+$ ]] || __tp_t=600
    ( cd "$TP_REPO" && set +m && exec 9<&- && . "$__tp_f" ) > "$__tp_ctl/out/$__tp_n.out" 2> "$__tp_ctl/out/$__tp_n.err" < /dev/null &
    __tp_pid=$!
    ( __tp_wait "$__tp_t"; : > "$__tp_ctl/out/$__tp_n.timedout"
      kill -TERM -- "-$__tp_pid"; __tp_wait 5; kill -KILL -- "-$__tp_pid" ) > /dev/null 2>&1 &
    __tp_watch=$!
    wait "$__tp_pid"
    __tp_rc=$?
    kill -KILL -- "-$__tp_watch" 2>/dev/null
    wait "$__tp_watch" 2>/dev/null
    [ -e "$__tp_ctl/out/$__tp_n.timedout" ] && __tp_rc=124   # the time limit stopped the command
    echo "$__tp_rc" > "$__tp_ctl/out/$__tp_n.rc"   # one write of "<rc>\n": the host waits for the newline
    __tp_n=$((__tp_n + 1))
  elif [ -e "$__tp_ctl/cmd/$__tp_n.halt" ]; then
    echo "testbed: agent halting" >&2
    break
  else
    __tp_wait 0.05
  fi
done
