#!/usr/bin/env python3
"""Side-by-side detection benchmark (issue 3's speed target): the same 100k-event CloudTrail
JSON-lines corpus through each tool in one run, one after the other, on this machine.

  (a) pySigma + its SQLite backend (../shared/peers/harness/sigma_sqlite_hunt.py), the 57
      SigmaHQ CloudTrail rules;
  (b) chainsaw with the peers' CloudTrail mapping, when a chainsaw binary is available
      (--chainsaw, $CHAINSAW or PATH; it is not on any package registry);
  (c) Vigil end to end (`vigil rules hunt`: read, parse, normalise, all rules, the behaviour
      baselines, correlation), with the 57 SigmaHQ rules plus Vigil's own pack and with the 57
      SigmaHQ rules alone (the peers' rule set), each on two threads (both parse, each part
      detected in turn: the default on this machine) and on one (`--threads 1`: figures per
      core).

Each tool runs as a child process; wall time, CPU time (user + system, from wait4) and peak
memory are measured the same way for all, in --runs rounds (every tool once per round, in
turn); each figure is the tool's median over the rounds, and the per-round column gives the
ratio within each round, since a shared host's speed drifts between rounds. Before each
measured run the corpus is read once, so every tool starts with it in the page cache. The
table gives events per wall-second, per CPU-second, and each tool's ratio to the reference
(chainsaw when it ran, else pySigma).

Two corpora (--corpus), each made once under --work and reused:
  demo     the last 100,000 CloudTrail records of `vigil demo --scale 4` (the attack day and
           the weeks before it, in time order), flattened to JSON lines;
  panther  the peers' own throughput corpus (../shared/peers/run_examples.sh): the 431
           CloudTrail events of Panther's rule tests (../shared/peers/samples), 232 times over
           (99,992 events). Rule test cases, so about two rule hits per event, and not in time
           order (Vigil indexes the file by event time and reads it in that order).

  scripts/bench_peers.py [--corpus demo|panther] [--vigil target/dist/vigil]
                         [--work /var/tmp/vigil-bench-peers] [--chainsaw PATH] [--python /var/tmp/sigma-peer/venv/bin/python]
                         [--runs 3] [--json]

Build Vigil first: `cargo build --profile dist -p vigil`, the build to deploy (the script looks
in $CARGO_TARGET_DIR or ./target, and takes a `release` build when there is no `dist` one).
The pySigma venv comes from ../shared/peers/setup.sh ($PEERS_HOME/venv).
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
PANTHER_SAMPLE = SHARED / "peers/samples/cloudtrail_panther.jsonl"
CORPUS_SIZE = 100_000
PANTHER_COPIES = 232


def default_vigil():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    dist = target / "dist/vigil"
    return dist if dist.is_file() else target / "release/vigil"


def default_python():
    for p in [
        os.environ.get("PEERS_PYTHON"),
        Path(os.environ.get("PEERS_HOME", "/tmp/vigil-peers")) / "venv/bin/python",
        "/var/tmp/sigma-peer/venv/bin/python",
    ]:
        if p and Path(p).is_file():
            return str(p)
    return None


def warm(path):
    """Reads `path` once so that the measured run finds it in the page cache. This machine's
    kernel pages out file pages it has not seen touched for a minute (DAMON reclaim), and a
    tool that reads the corpus in a third of a second saw a few megabytes of it come from
    disk in some rounds and not in others: every tool gets the same warm start."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


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


def make_panther_corpus(work):
    """The corpus ../shared/peers/run_examples.sh times its peers on (BIG=232 copies)."""
    corpus = work / f"cloudtrail-panther-x{PANTHER_COPIES}.jsonl"
    if corpus.is_file():
        return corpus
    sample = PANTHER_SAMPLE.read_bytes()
    if not sample.endswith(b"\n"):
        sample += b"\n"
    tmp = corpus.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for _ in range(PANTHER_COPIES):
            fh.write(sample)
    tmp.rename(corpus)
    return corpus


def find_chainsaw(given):
    for c in [given, os.environ.get("CHAINSAW"), shutil.which("chainsaw")]:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


def per_rule_counts(work, tool):
    """Hits per rule title from a tool's last output, or None when it did not run."""
    try:
        if tool.startswith("pySigma"):
            return dict(json.loads((work / "pysigma.json").read_text())["hits_per_rule"])
        if tool.startswith("chainsaw"):
            counts = {}
            for line in open(work / "chainsaw.jsonl"):
                line = line.strip()
                if line:
                    name = json.loads(line).get("name")
                    counts[name] = counts.get(name, 0) + 1
            return counts
        # Vigil with the 57 SigmaHQ rules alone, one thread (the same rules as the peers).
        report = json.loads((work / "vigil-1-1.json").read_text())
        return {r["title"]: r["hits"] for r in report.get("hits_by_rule", [])}
    except (OSError, ValueError, KeyError):
        return None


def per_rule_agreement(work, rows):
    """Whether every engine that ran found the same hits for every rule (by title)."""
    tools = [r["tool"] for r in rows if r["rc"] == 0 and not r["tool"].startswith("vigil")]
    if not any(r["tool"].startswith("vigil") and r["rc"] == 0 for r in rows):
        return []
    counts = {t: per_rule_counts(work, t) for t in tools + ["vigil"]}
    counts = {t: c for t, c in counts.items() if c is not None}
    if len(counts) < 2:
        return []
    titles = sorted(set().union(*counts.values()))
    differ = [t for t in titles if len({c.get(t, 0) for c in counts.values()}) > 1]
    names = ", ".join(counts)
    if not differ:
        total = sum(next(iter(counts.values())).values())
        return [f"per rule: {names} agree on all {len(titles)} rules with hits "
                f"({total} hits)"]
    return [f"per rule: {names} differ on {len(differ)} rule(s):"] + [
        f"  {t}: " + ", ".join(f"{k} {c.get(t, 0)}" for k, c in counts.items()) for t in differ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", choices=["demo", "panther"], default="demo",
                    help="demo: 100k records of the demo's CloudTrail; panther: the peers' "
                         "corpus, Panther's 431 test events 232 times (default demo)")
    ap.add_argument("--vigil", default=str(default_vigil()))
    ap.add_argument("--work", default="/var/tmp/vigil-bench-peers")
    ap.add_argument("--chainsaw")
    ap.add_argument("--python", default=default_python(),
                    help="python of the venv with pySigma and its SQLite backend")
    ap.add_argument("--runs", type=int, default=3,
                    help="rounds of every tool; figures are medians (default 3)")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    a = ap.parse_args()

    vigil = Path(a.vigil)
    if not vigil.is_file():
        sys.exit(f"no vigil binary at {vigil}: run `cargo build --profile dist -p vigil` first")
    if a.python and not Path(a.python).is_file():
        sys.exit(f"no python at {a.python} (--python): run ../shared/peers/setup.sh first")
    if not SIGMA_RULES.is_dir():
        sys.exit(f"no SigmaHQ CloudTrail rules at {SIGMA_RULES}")
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    if a.corpus == "panther":
        # Each corpus's outputs apart, so the per-rule comparison reads this run's.
        work = work / "panther"
        work.mkdir(exist_ok=True)
        corpus = make_panther_corpus(work)
    else:
        corpus = make_corpus(vigil, work)
    n_events = sum(1 for _ in open(corpus))
    print(f"vigil: {vigil}")
    print(f"corpus: {corpus} ({n_events} CloudTrail records); "
          f"rules: {len(list(SIGMA_RULES.glob('*.yml')))} SigmaHQ + {REPO / 'rules'}")

    notes = []
    # Each tool: (name, what, command, output file, detail from the output).
    tools = []

    # (a) pySigma -> SQLite
    if a.python:
        def pysigma_detail(out):
            s = json.loads(out.read_text())
            return (f"{s['rules_converted']} rules, {s['total_hits']} hits; "
                    f"load+query alone {s['events_per_s']['load_plus_query']}/s")
        tools.append(("pySigma→SQLite", "57 SigmaHQ rules",
                      [a.python, str(HARNESS / "sigma_sqlite_hunt.py"), str(SIGMA_RULES),
                       str(corpus)], work / "pysigma.json", pysigma_detail))
    else:
        notes.append("pySigma: no venv found (run ../shared/peers/setup.sh or pass --python)")

    # (b) chainsaw
    chainsaw = find_chainsaw(a.chainsaw)
    if chainsaw:
        def chainsaw_detail(out):
            return f"{sum(1 for _ in open(out))} detections"
        version = subprocess.run([chainsaw, "--version"], capture_output=True, text=True)
        label = (version.stdout.strip() or "chainsaw").replace("chainsaw ", "chainsaw v")
        notes.append(f"{label}: {chainsaw} (the version its --version prints)")
        tools.append((label, "57 SigmaHQ rules",
                      [chainsaw, "hunt", "-q", "-s", str(SIGMA_RULES), "--mapping",
                       str(HARNESS / "chainsaw/sigma-cloudtrail.yml"), "--load-unknown",
                       "--jsonl", str(corpus)], work / "chainsaw.jsonl", chainsaw_detail))
    else:
        notes.append("chainsaw: not run - no binary (--chainsaw, $CHAINSAW or PATH); it is not "
                     "published on crates.io or any registry this machine reaches, so it cannot "
                     "be installed here. ../shared/peers/README.md saw ~26k events/s earlier, "
                     "not in this run.")

    # (c) Vigil end to end
    def vigil_detail(out):
        s = json.loads(out.read_text())
        return (f"{s['rules']} rules, {s['rule_hits']} hits -> {s['alerts']} alerts "
                f"({s['composites']} composite); detection alone "
                f"{s['detect_events_per_second']:,.0f}/s")
    for what, rules, threads in [
        ("57 SigmaHQ + own pack, baselines, correlation", [SIGMA_RULES, REPO / "rules"], 2),
        ("the same on one thread (per core)", [SIGMA_RULES, REPO / "rules"], 1),
        ("57 SigmaHQ rules, baselines, correlation", [SIGMA_RULES], 2),
        ("57 SigmaHQ rules on one thread (per core)", [SIGMA_RULES], 1),
    ]:
        cmd = [str(vigil), "rules", "hunt", str(corpus), "--format", "json",
               "--threads", str(threads)]
        for r in rules:
            cmd += ["--rules", str(r)]
        tools.append((f"vigil ({threads} thr)", what, cmd,
                      work / f"vigil-{len(rules)}-{threads}.json", vigil_detail))

    # Rounds, every tool once per round in turn, so that a slow spell of a shared host falls
    # on all of them alike; each tool's figures are its medians over the rounds.
    runs = {i: [] for i in range(len(tools))}
    for round_ in range(a.runs):
        print(f"round {round_ + 1} of {a.runs} ...", file=sys.stderr)
        for i, (_, _, cmd, out, _) in enumerate(tools):
            warm(corpus)
            runs[i].append(measure(cmd, out))

    def median(xs):
        xs = sorted(xs)
        mid = len(xs) // 2
        return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2

    rows = []
    for i, (tool, what, _, out, detail_of) in enumerate(tools):
        ms = runs[i]
        rc = next((m[0] for m in ms if m[0] != 0), 0)
        wall, cpu = median([m[1] for m in ms]), median([m[2] for m in ms])
        detail = detail_of(out) if rc == 0 else ""
        rows.append({"tool": tool, "what": what, "rc": rc, "runs": len(ms), "wall_s": wall,
                     "cpu_s": cpu, "cpu_s_each": [m[2] for m in ms],
                     "peak_mb": max(m[3] for m in ms), "events": n_events,
                     "events_per_s": n_events / wall if wall else 0.0,
                     "events_per_cpu_s": n_events / cpu if cpu else 0.0, "detail": detail})

    ref = next((r for r in rows if r["tool"].startswith("chainsaw") and r["rc"] == 0), None) \
        or next((r for r in rows if r["tool"].startswith("pySigma") and r["rc"] == 0), None)
    print()
    hdr = f"{'tool':<16} {'rules / work':<48} {'wall s':>7} {'CPU s':>7} {'events/s':>10} " \
          f"{'ev/CPU-s':>10} {'peak MB':>8} {'ratio':>7} {'per round':>13} {'wall ratio':>10}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        ok = ref and r["rc"] == 0
        ratio = (r["events_per_cpu_s"] / ref["events_per_cpu_s"]) if ok else 0
        wall_ratio = (r["events_per_s"] / ref["events_per_s"]) if ok else 0
        r["ratio_per_wall_s"] = wall_ratio
        # The ratio within each round (the reference's CPU time that round over this tool's).
        paired = [rc / c for rc, c in zip(ref["cpu_s_each"], r["cpu_s_each"]) if c] if ok else []
        r["ratio_per_cpu_s_vs_" + (ref["tool"] if ref else "none")] = ratio
        r["ratio_per_round"] = paired
        span = f"{min(paired):.1f}-{max(paired):.1f}x" if paired else ""
        flag = "" if r["rc"] == 0 else f"  (exit {r['rc']})"
        print(f"{r['tool']:<16} {r['what']:<48} {r['wall_s']:>7.2f} {r['cpu_s']:>7.2f} "
              f"{r['events_per_s']:>10,.0f} {r['events_per_cpu_s']:>10,.0f} {r['peak_mb']:>8.0f} "
              f"{ratio:>6.1f}x {span:>13} {wall_ratio:>9.1f}x{flag}")
    print()
    for r in rows:
        if r["detail"]:
            print(f"  {r['tool']}: {r['detail']}")
    if ref:
        print(f"  ratio = events per CPU-second / {ref['tool']}'s (whole process: start-up, "
              f"rule loading, reading and parsing included), medians of {a.runs} rounds; "
              f"per round = the same ratio within each round (lowest-highest); wall ratio = "
              f"events per wall-second / {ref['tool']}'s (what a user waits; pySigma runs on "
              f"one thread, chainsaw on all cores)")
    for line in per_rule_agreement(work, rows):
        print(f"  {line}")
    for n in notes:
        print(f"  note: {n}")
    if a.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
