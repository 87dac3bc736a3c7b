#!/usr/bin/env bash
# Measures the agent's overhead under a process-start storm: CPU time of the agent per 10k
# events and its peak memory (VmHWM), while a loop spawns /bin/true as fast as it can.
#
#   sudo [COLLECTOR=ebpf|fallback] crates/vigil-agent/scripts/measure-overhead.sh [AGENT_BINARY] [SECONDS] [SPAWNERS]
#
# AGENT_BINARY defaults to a release build in $CARGO_TARGET_DIR (or ./target). COLLECTOR picks
# the collection path (default auto: eBPF when it loads). Needs root.
set -euo pipefail
bin=${1:-${CARGO_TARGET_DIR:-target}/release/vigil-agent}
secs=${2:-10}
spawners=${3:-3}
work=$(mktemp -d)
trap 'kill -TERM "${agent:-0}" 2>/dev/null; rm -rf "$work"' EXIT
${AGENT_WRAPPER:-} "$bin" --output "$work/events.jsonl" --spool-dir "$work/spool" --stats-file "$work/stats.json" \
  --host-id bench --collector "${COLLECTOR:-auto}" 2>"$work/agent.log" &
agent=$!
sleep 1
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
cpu0=$(cpu)
start=$(date +%s.%N)
# Several spawners: one bash loop alone tops out below the 1,000/s target on a small machine.
loads=()
for _ in $(seq "$spawners"); do
  ( end=$((SECONDS + secs)); while [ $SECONDS -lt $end ]; do /bin/true; done ) &
  loads+=($!)
done
wait "${loads[@]}"
sleep 1
end=$(date +%s.%N)
cpu1=$(cpu)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
kill -TERM "$agent"
wait "$agent" || true
starts=$(grep -c '"kind":"process_start"' "$work/events.jsonl" || true)
events=$(wc -l <"$work/events.jsonl")
partial=$(grep '"kind":"process_start"' "$work/events.jsonl" | grep -c '"exe":""' || true)
awk -v c0="$cpu0" -v c1="$cpu1" -v t="$tick" -v ev="$events" -v st="$starts" -v s="$start" -v e="$end" \
    -v hwm="$hwm" -v rss="$rss" -v partial="$partial" 'BEGIN {
  cpu = (c1 - c0) / t; wall = e - s;
  printf "process starts: %d in %.1f s (%.0f/s); events: %d\n", st, wall, st / wall, ev;
  printf "agent CPU: %.2f s (%.1f%% of one core); %.0f ms per 10k events\n", cpu, 100 * cpu / wall, 1000 * cpu / ev * 10000;
  printf "agent memory: peak RSS %.1f MiB, RSS at end %.1f MiB\n", hwm / 1024, rss / 1024;
  printf "starts without exe/argv (exited before /proc was read): %d (%.1f%%)\n", partial, 100 * partial / (st ? st : 1);
}'
grep -m1 'collecting with' "$work/agent.log" || true
echo "agent counters: $(tr -d ' \n' <"$work/stats.json")"
