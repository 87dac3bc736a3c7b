#!/usr/bin/env bash
# Vigil vs PMapper 1.1.5 on the same account, in one run.
#
# 1. PMapper's offline graph build (../shared/peers/harness/pmapper_offline.py) and its
#    `preset privesc *` query, then `vigil iam analyze --format json`, on cloudsplaining's lab
#    account; each timed (wall, user+sys CPU, peak RSS) with /usr/bin/time.
# 2. Both tools' flagged principals scored against the lab's ground truth (privesc* users can
#    escalate, fn* traps can too, fp* traps cannot), and the speed ratio.
# 3. `vigil iam analyze` on the generated account of the benches (default 10,000 principals).
#
# "Flagged" means the same for both tools: the principal is admin or can reach admin
# (PMapper: "is an administrative principal" / "can escalate privileges"; Vigil: `escalation`
# is not null).
#
# Usage: crates/vigil-iam/scripts/compare-pmapper.sh [AUTHZ_JSON]
# Environment:
#   VIGIL_BIN          a vigil binary (default: `cargo build --release -p vigil` into
#                      $CARGO_TARGET_DIR, default /var/tmp/vt-iam)
#   PEERS_HOME         where ../shared/peers/setup.sh put PMapper's venv (default
#                      /var/tmp/iam-peers, else /tmp/vigil-peers)
#   VIGIL_IAM_SOURCES  the shared IAM data (default /work/shared/data/iam)
#   SYNTH_PRINCIPALS   size of the generated account (default 10000; 0 skips step 3)
#   VIGIL_RUNS         runs of vigil on the lab account; the median wall and CPU count
#                      (default 5: a run of a fraction of a second is at the mercy of the
#                      scheduler on a loaded machine; PMapper's minute is not)
#   KEEP_WORK=1        keep the work directory
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
peers_dir="${PEERS_DIR:-$root/../shared/peers}"
[[ -d "$peers_dir" ]] || peers_dir=/work/shared/peers
sources="${VIGIL_IAM_SOURCES:-/work/shared/data/iam}"
lab="${1:-$sources/cloudsplaining/examples/files/example.json}"
synth_n="${SYNTH_PRINCIPALS:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/vt-iam}"

if [[ -z "${PEERS_HOME:-}" ]]; then
  for d in /var/tmp/iam-peers /tmp/vigil-peers; do
    [[ -x "$d/venv/bin/pmapper" ]] && PEERS_HOME="$d" && break
  done
fi
py="${PEERS_HOME:-}/venv/bin/python"
pmapper="${PEERS_HOME:-}/venv/bin/pmapper"
[[ -x "$pmapper" ]] || { echo "PMapper not found: run $peers_dir/setup.sh (PEERS_HOME=...)" >&2; exit 2; }
[[ -f "$lab" ]] || { echo "account file not found: $lab" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

cd "$root"
if [[ -z "${VIGIL_BIN:-}" ]]; then
  cargo build --release -q -p vigil
  VIGIL_BIN="$CARGO_TARGET_DIR/release/vigil"
fi

work="$(mktemp -d /var/tmp/compare-pmapper.XXXXXX)"
[[ "${KEEP_WORK:-0}" == 1 ]] || trap 'rm -rf "$work"' EXIT
account="$(python3 -c 'import json,re,sys
d=json.load(open(sys.argv[1]))
for k in ("UserDetailList","RoleDetailList"):
    for p in d.get(k,[]):
        m=re.match(r"arn:aws[\w-]*:iam::(\d{12}):",p.get("Arn",""))
        if m: print(m.group(1)); sys.exit()' "$lab")"

# timed NAME CMD...: runs CMD with stdout to $work/NAME.out, stderr to $work/NAME.err and
# "wall user sys maxrss_kb" to $work/NAME.time.
timed() {
  local name="$1"; shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
    echo "$name failed; stderr:" >&2; tail -20 "$work/$name.err" >&2; exit 1; }
}

echo "account $account ($lab); load average $(cut -d' ' -f1-3 /proc/loadavg)"
timed pmapper_graph env PMAPPER_STORAGE="$work/pmapper" "$py" "$peers_dir/harness/pmapper_offline.py" "$lab" --storage "$work/pmapper"
timed pmapper_query env PMAPPER_STORAGE="$work/pmapper" "$pmapper" --account "$account" query 'preset privesc *'
runs="${VIGIL_RUNS:-5}"
for i in $(seq 1 "$runs"); do
  timed "vigil_$i" "$VIGIL_BIN" --data-dir "$work/vigil-data" iam analyze --authz "$lab" --no-cloudtrail --format json
done

python3 - "$work" "$runs" <<'EOF'
import json, re, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])

def times(name):
    wall, user, sys_, rss = open(f"{work}/{name}.time").read().split()[-4:]
    return float(wall), float(user) + float(sys_), int(rss) // 1024

pm = set()
for line in open(f"{work}/pmapper_query.out"):
    m = re.match(r"^(user|role)/(\S+) (can escalate privileges|is an administrative principal)", line)
    if m:
        pm.add((m.group(1), m.group(2)))
report = json.load(open(f"{work}/vigil_1.out"))
vg = {(i["type"], i["name"]) for i in report["identities"] if i.get("escalation") is not None}
users = {(i["type"], i["name"]) for i in report["identities"] if i["type"] == "user"}

def score(flagged):
    out = []
    for prefix in ("privesc", "fn", "fp"):
        truth = {u for u in users if u[1].startswith(prefix)}
        out.append((len(truth & flagged), len(truth)))
    return out

g_wall, g_cpu, g_rss = times("pmapper_graph")
q_wall, q_cpu, q_rss = times("pmapper_query")
vruns = [times(f"vigil_{i}") for i in range(1, runs + 1)]
v_wall = statistics.median(r[0] for r in vruns)
v_cpu = statistics.median(r[1] for r in vruns)
v_rss = max(r[2] for r in vruns)
rows = [
    ("PMapper 1.1.5 graph build", g_wall, g_cpu, g_rss, None),
    ("PMapper preset privesc query", q_wall, q_cpu, q_rss, score(pm)),
    (f"vigil iam analyze, median of {runs}", v_wall, v_cpu, v_rss, score(vg)),
]
print(f"{'run':32} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}  privesc  fn   fp")
for name, w, c, r, s in rows:
    flags = "" if s is None else "  ".join(f"{a}/{b}" for a, b in s)
    print(f"{name:32} {w:8.2f} {c:8.2f} {r:8d}  {flags}")
print(f"speed (PMapper graph build / vigil full analysis): wall {g_wall / max(v_wall, 0.01):.0f}x, cpu {g_cpu / max(v_cpu, 0.01):.0f}x"
      f" (vigil times below /usr/bin/time's 10 ms resolution count as 10 ms)")
only_pm = sorted(n for t, n in pm - vg if t == "user" and n.startswith(("privesc", "fn", "fp")))
only_vg = sorted(n for t, n in vg - pm if t == "user" and n.startswith(("privesc", "fn", "fp")))
print(f"flagged by PMapper only: {only_pm or '-'}")
print(f"flagged by Vigil only:   {only_vg or '-'}")
missed = sorted(n for t, n in users - vg if n.startswith("privesc"))
print(f"privesc users neither flags (cannot escalate as deployed, see tests/lab_ground_truth.rs): {missed}")
EOF

if [[ "$synth_n" != 0 ]]; then
  cargo run --release -q -p vigil-iam --example synth_account -- "$synth_n" >"$work/synth.json"
  timed synth "$VIGIL_BIN" --data-dir "$work/vigil-data" iam analyze --authz "$work/synth.json" --no-cloudtrail --format json
  read -r wall user sys_ rss <"$work/synth.time"
  python3 - "$synth_n" "$wall" "$user" "$sys_" "$rss" "$work/synth.out" <<'EOF'
import json, sys
n, wall, user, sys_, rss, out = sys.argv[1:]
r = json.load(open(out))
s = r["summary"]
print(f"generated account, {int(n):,} principals: vigil iam analyze wall {float(wall):.2f} s, "
      f"cpu {float(user) + float(sys_):.2f} s (one thread), peak {int(rss) // 1024} MB; "
      f"{s['identities']} identities, {s['can_escalate_to_admin']} can escalate, {s['escalation_edges']} edges")
EOF
fi
