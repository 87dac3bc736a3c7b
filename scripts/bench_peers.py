#!/usr/bin/env python3
"""Side-by-side detection benchmark (issue 3's speed target): the same 100k-event CloudTrail
JSON-lines corpus through each tool in one run, one after the other, on this machine.

  (a) pySigma + its SQLite backend (../shared/peers/harness/sigma_sqlite_hunt.py), the 57
      SigmaHQ CloudTrail rules;
  (b) chainsaw with the peers' CloudTrail mapping, when a chainsaw binary is available
      (--chainsaw, $CHAINSAW or PATH; it is not on any package registry);
  (c) Vigil end to end (`vigil rules hunt`: read, parse, normalise, all rules, the behaviour
      baselines, correlation), once with the 57 SigmaHQ rules plus Vigil's own pack and once
      with the 57 SigmaHQ rules alone (the peers' rule set).

Each tool runs as a child process; wall time, CPU time (user + system, from wait4) and peak
memory are measured the same way for all. The table gives events per wall-second, per
CPU-second, and each tool's ratio to the reference (chainsaw when it ran, else pySigma).

The corpus is the last 100,000 CloudTrail records of `vigil demo --scale 4` (the attack day
and the weeks before it), flattened to JSON lines; it is made once under --work and reused.

  scripts/bench_peers.py [--vigil target/release/vigil] [--work /var/tmp/vigil-bench-peers]
                         [--chainsaw PATH] [--python /var/tmp/sigma-peer/venv/bin/python]

Build Vigil first: `cargo build --release -p vigil` (the script looks in $CARGO_TARGET_DIR
or ./target). The pySigma venv comes from ../shared/peers/setup.sh ($PEERS_HOME/venv).
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SIGMA_RULES = SHARED / "data/sigma/rules/cloud/aws/cloudtrail"
HARNESS = SHARED / "peers/harness"
CORPUS_SIZE = 100_000


def default_vigil():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release/vigil"


def default_python():
    for p in [
        os.environ.get("PEERS_PYTHON"),
        Path(os.environ.get("PEERS_HOME", "/tmp/vigil-peers")) / "venv/bin/python",
        "/var/tmp/sigma-peer/venv/bin/python",
    ]:
        if p and Path(p).is_file():
            return str(p)
    return None


def measure(cmd, out_path):
    """Runs cmd with stdout to out_path; returns (rc, wall s, cpu s, peak MB)."""
    with open(out_path, "wb") as out, open(str(out_path) + ".err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, wall, cpu, usage.ru_maxrss / 1024.0


def make_corpus(vigil, work):
    corpus = work / "cloudtrail-100k.jsonl"
    if corpus.is_file():
        return corpus
    demo = work / "demo"
    if not (demo / "cloudtrail").is_dir():
        print(f"generating the demo (scale 4) into {demo} ...", file=sys.stderr)
        subprocess.run(
            [str(vigil), "--data-dir", str(work / "demo-data"), "demo", "--no-serve",
             "--scale", "4", "--out", str(demo), "--format", "json"],
            check=True, stdout=subprocess.DEVNULL)
    records = []
    for f in sorted((demo / "cloudtrail").rglob("*.json.gz")):
        with gzip.open(f, "rt") as fh:
            records.extend(json.load(fh).get("Records", []))
    records.sort(key=lambda r: r.get("eventTime", ""))
    records = records[-CORPUS_SIZE:]
    tmp = corpus.with_suffix(".tmp")
    with open(tmp, "w") as fh:
        for r in records:
            fh.write(json.dumps(r, separators=(",", ":")))
            fh.write("\n")
    tmp.rename(corpus)
    return corpus


def find_chainsaw(given):
    for c in [given, os.environ.get("CHAINSAW"), shutil.which("chainsaw")]:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vigil", default=str(default_vigil()))
    ap.add_argument("--work", default="/var/tmp/vigil-bench-peers")
    ap.add_argument("--chainsaw")
    ap.add_argument("--python", default=default_python(),
                    help="python of the venv with pySigma and its SQLite backend")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    a = ap.parse_args()

    vigil = Path(a.vigil)
    if not vigil.is_file():
        sys.exit(f"no vigil binary at {vigil}: run `cargo build --release -p vigil` first")
    if not SIGMA_RULES.is_dir():
        sys.exit(f"no SigmaHQ CloudTrail rules at {SIGMA_RULES}")
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    corpus = make_corpus(vigil, work)
    n_events = sum(1 for _ in open(corpus))
    print(f"corpus: {corpus} ({n_events} CloudTrail records); "
          f"rules: {len(list(SIGMA_RULES.glob('*.yml')))} SigmaHQ + {REPO / 'rules'}")

    rows, notes = [], []

    def row(tool, what, rc, wall, cpu, mb, detail=""):
        rows.append({"tool": tool, "what": what, "rc": rc, "wall_s": wall, "cpu_s": cpu,
                     "peak_mb": mb, "events": n_events,
                     "events_per_s": n_events / wall if wall else 0.0,
                     "events_per_cpu_s": n_events / cpu if cpu else 0.0, "detail": detail})

    # (a) pySigma -> SQLite
    if a.python:
        out = work / "pysigma.json"
        rc, wall, cpu, mb = measure(
            [a.python, str(HARNESS / "sigma_sqlite_hunt.py"), str(SIGMA_RULES), str(corpus)], out)
        detail = ""
        if rc == 0:
            s = json.loads(out.read_text())
            detail = (f"{s['rules_converted']} rules, {s['total_hits']} hits; "
                      f"load+query alone {s['events_per_s']['load_plus_query']}/s")
        row("pySigma→SQLite", "57 SigmaHQ rules", rc, wall, cpu, mb, detail)
    else:
        notes.append("pySigma: no venv found (run ../shared/peers/setup.sh or pass --python)")

    # (b) chainsaw
    chainsaw = find_chainsaw(a.chainsaw)
    if chainsaw:
        out = work / "chainsaw.jsonl"
        rc, wall, cpu, mb = measure(
            [chainsaw, "hunt", "-q", "-s", str(SIGMA_RULES), "--mapping",
             str(HARNESS / "chainsaw/sigma-cloudtrail.yml"), "--load-unknown", "--jsonl",
             str(corpus)], out)
        hits = sum(1 for _ in open(out)) if rc == 0 else 0
        row("chainsaw", "57 SigmaHQ rules", rc, wall, cpu, mb, f"{hits} detections")
    else:
        notes.append("chainsaw: not run - no binary (--chainsaw, $CHAINSAW or PATH); it is not "
                     "published on crates.io or any registry this machine reaches, so it cannot "
                     "be installed here. ../shared/peers/README.md saw ~26k events/s earlier, "
                     "not in this run.")

    # (c) Vigil end to end
    for what, rules in [
        ("57 SigmaHQ + own pack, baselines, correlation", [SIGMA_RULES, REPO / "rules"]),
        ("57 SigmaHQ rules, baselines, correlation", [SIGMA_RULES]),
    ]:
        out = work / ("vigil-" + str(len(rules)) + ".json")
        cmd = [str(vigil), "rules", "hunt", str(corpus), "--format", "json"]
        for r in rules:
            cmd += ["--rules", str(r)]
        rc, wall, cpu, mb = measure(cmd, out)
        detail = ""
        if rc == 0:
            s = json.loads(out.read_text())
            detail = (f"{s['rules']} rules, {s['rule_hits']} hits -> {s['alerts']} alerts "
                      f"({s['composites']} composite); detection alone "
                      f"{s['detect_events_per_second']:,.0f}/s")
        row("vigil", what, rc, wall, cpu, mb, detail)

    ref = next((r for r in rows if r["tool"] == "chainsaw" and r["rc"] == 0), None) \
        or next((r for r in rows if r["tool"].startswith("pySigma") and r["rc"] == 0), None)
    print()
    hdr = f"{'tool':<16} {'rules / work':<48} {'wall s':>7} {'CPU s':>7} {'events/s':>10} " \
          f"{'ev/CPU-s':>10} {'peak MB':>8} {'ratio':>7}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        ratio = (r["events_per_cpu_s"] / ref["events_per_cpu_s"]) if ref and r["rc"] == 0 else 0
        r["ratio_per_cpu_s_vs_" + (ref["tool"] if ref else "none")] = ratio
        flag = "" if r["rc"] == 0 else f"  (exit {r['rc']})"
        print(f"{r['tool']:<16} {r['what']:<48} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} "
              f"{r['events_per_s']:>10,.0f} {r['events_per_cpu_s']:>10,.0f} {r['peak_mb']:>8.0f} "
              f"{ratio:>6.1f}x{flag}")
    print()
    for r in rows:
        if r["detail"]:
            print(f"  {r['tool']}: {r['detail']}")
    if ref:
        print(f"  ratio = events per CPU-second / {ref['tool']}'s (whole process: start-up, "
              f"rule loading, reading and parsing included)")
    for n in notes:
        print(f"  note: {n}")
    if a.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
