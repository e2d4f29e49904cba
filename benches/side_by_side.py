#!/usr/bin/env python3
"""Side-by-side timing of `lrtool bench` and the Python peers (docs/performance.md).

Runs every configuration once per round, rounds interleaved, so that all tools see the same
machine at the same time. Before each run it waits until other processes use less than --quiet
of the machine over 0.5 s (niced processes included; at most --wait seconds), and records
`others_busy` (before) and `others_during` (machine busy time minus the child's own CPU time).
Appends one JSON line per result to OUT (the tool's own line plus label, rep, ext_wall_s, ...),
then prints the medians per configuration.

  python3 benches/side_by_side.py --lrtool target/release/lrtool \\
      --python /path/to/venv/bin/python --peers benches/peers --rounds 5 results.jsonl

The numpy and scikit-learn peers run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from
their environment (a machine-wide setting here that forces OpenBLAS's slower Haswell kernels);
their JSON line names the kernel OpenBLAS then uses.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import time

OPENBLAS = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]


def configs(a):
    lr, py, sb = a.lrtool, a.python, a.peers
    c = []

    def peer(label, script, args, unset=()):
        c.append(dict(label=label, cmd=[py, os.path.join(sb, script)] + args, unset=list(unset)))

    c.append(dict(label="w1 lrtool 1T", cmd=[lr, "bench", "w1", "--threads", "1"]))
    peer("w1 numpy 1T", "peer_numpy.py", ["--workload", "w1", "--threads", "1"], OPENBLAS)
    peer("w1 torch 1T", "peer_torch.py", ["--workload", "w1", "--threads", "1"])
    peer("w1 sklearn-f64 1T", "peer_sklearn.py", ["--workload", "w1", "--threads", "1"], OPENBLAS)
    for b in ("32", "128", "512"):
        for t in ("1", "2"):
            w2 = ["--workload", "w2", "--batch", b, "--threads", t]
            c.append(dict(label=f"w2 b{b} lrtool {t}T",
                          cmd=[lr, "bench", "w2", "--batch", b, "--threads", t]))
            peer(f"w2 b{b} numpy {t}T", "peer_numpy.py", w2, OPENBLAS)
            peer(f"w2 b{b} torch {t}T", "peer_torch.py", w2)
            peer(f"w2 b{b} sklearn-f32 {t}T", "peer_sklearn.py", w2 + ["--dtype", "f32"], OPENBLAS)
    c.append(dict(label="w3 lrtool find-lr process", cmd=[
        lr, "find-lr", "--dataset", "digits", "--optimizer", "sgd", "--momentum", "0.9",
        "--min", "1e-6", "--max", "1", "--steps", "100", "--batch-size", "64", "--no-stop",
        "--quiet", "--force", "--out", a.find_lr_out]))
    c.append(dict(label="w3 lrtool bench", cmd=[lr, "bench", "w3", "--threads", "1"]))
    peer("w3 numpy", "peer_numpy.py", ["--workload", "w3", "--threads", "1"], OPENBLAS)
    peer("w3 torch", "peer_torch.py", ["--workload", "w3", "--threads", "1"])
    peer("w3 sklearn-f64", "peer_sklearn.py", ["--workload", "w3", "--threads", "1"], OPENBLAS)
    return c


def stat():
    """(busy, total) jiffies of the whole machine; niced time counts as busy."""
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:9]))
    return sum(v) - v[3] - v[4], sum(v)


def busy_over(dt):
    b0, t0 = stat()
    time.sleep(dt)
    b1, t1 = stat()
    return (b1 - b0) / max(1, t1 - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lrtool", default="target/release/lrtool")
    p.add_argument("--python", default="python3")
    p.add_argument("--peers", default="benches/peers")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quiet", type=float, default=0.05)
    p.add_argument("--wait", type=float, default=300)
    p.add_argument("--only", default="", help="run only labels containing this text")
    p.add_argument("--find-lr-out", default="/tmp/lrtool-side-by-side-find-lr")
    p.add_argument("out")
    a = p.parse_args()
    cfgs = [c for c in configs(a) if a.only in c["label"]]
    tick = os.sysconf("SC_CLK_TCK")
    with open(a.out, "a") as out:
        for r in range(a.rounds):
            for c in cfgs:
                env = {k: v for k, v in os.environ.items() if k not in c.get("unset", ())}
                started = time.time()
                while (before := busy_over(0.5)) >= a.quiet and time.time() - started < a.wait:
                    pass
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                b0, t0 = stat()
                w0 = time.perf_counter()
                proc = subprocess.run(c["cmd"], env=env, capture_output=True, text=True)
                wall = time.perf_counter() - w0
                b1, t1 = stat()
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                child = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
                during = max(0.0, ((b1 - b0) / tick - child) / max(1e-9, (t1 - t0) / tick))
                lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
                rec = json.loads(lines[-1]) if lines else {}
                if proc.returncode != 0:
                    rec["error"] = proc.stderr[-500:]
                rec.update(label=c["label"], rep=r, ext_wall_s=round(wall, 4),
                           others_busy=round(before, 3), others_during=round(during, 3),
                           cmd=" ".join(c["cmd"]))
                out.write(json.dumps(rec) + "\n")
                out.flush()
                print(f'{c["label"]:<28} r{r} {rec.get("samples_per_s", "-")} samples/s, '
                      f'process {wall:.3f} s, others {before:.2f}/{during:.2f}', flush=True)
    recs = [json.loads(l) for l in open(a.out)]
    print("\nmedians:")
    for c in cfgs:
        rs = [x for x in recs if x["label"] == c["label"] and "error" not in x]
        if rs:
            med = lambda k: statistics.median(x[k] for x in rs if k in x) if any(k in x for x in rs) else float("nan")
            print(f'{c["label"]:<28} n={len(rs)} samples/s {med("samples_per_s"):>10.0f}  '
                  f'process {med("ext_wall_s"):.3f} s  loop {med("loop_s"):.4f} s')


if __name__ == "__main__":
    main()
