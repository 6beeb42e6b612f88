#!/bin/bash
# The guest's command agent (started by guest-boot.sh in TP_GUEST_MODE=agent). The host (io.tensorplane.it.bed)
# drops numbered command files into $TP_SHARE/.testbed/cmd/<n>.sh (first line "# timeout=<seconds>"); the agent
# runs them in order as root, in $TP_REPO, and writes <n>.out, <n>.err and finally <n>.rc ("<exit code>\n") into
# .testbed/out/.
# A file cmd/<n>.halt ends the loop (the guest then powers off).
ctl=$TP_SHARE/.testbed
mkdir -p "$ctl/out"
# Idle wait between polls: read -t on a silent fifo is a sleep without a fork (forks are slow under emulation).
fifo=$(mktemp -u "${TMPDIR:-/tmp}/tp-idle.XXXXXX")
if mkfifo "$fifo" && exec 9<>"$fifo"; then
  rm -f "$fifo"
  idle() { read -r -t 0.05 -u 9; }
else
  idle() { sleep 0.05; }
fi
echo ready > "$ctl/agent-ready"
echo "testbed: agent ready" >&2
n=1
while :; do
  f=$ctl/cmd/$n.sh
  if [ -e "$f" ]; then
    IFS= read -r first < "$f"
    t=${first#\# timeout=}
    [[ $t =~ ^[0-9]+$ ]] || t=600
    (cd "$TP_REPO" && exec timeout -k 5 "$t" bash "$f" > "$ctl/out/$n.out" 2> "$ctl/out/$n.err" < /dev/null)
    rc=$?
    echo $rc > "$ctl/out/$n.rc"   # one write of "<rc>\n": the host waits for the newline (no mv: forks are slow here)
    n=$((n + 1))
  elif [ -e "$ctl/cmd/$n.halt" ]; then
    echo "testbed: agent halting" >&2
    break
  else
    idle
  fi
done
