"""Shared pieces of the lrtool peer benchmarks (see docs/workloads.md).

Deliberately imports nothing heavy at module level: the peer scripts must set
the thread-count environment variables *before* numpy/torch are imported, so
`parse_args()` + `set_thread_env()` run first and numpy is imported lazily.

Everything here (data generation, split, FLOP counts, LR schedule) is specified
in docs/workloads.md so a Rust implementation can reproduce the identical work.
"""
import argparse
import json
import os
import platform
import sys
import time

# ---------------------------------------------------------------- workloads
# name -> model sizes, optimiser settings and schedule (docs/workloads.md)
WORKLOADS = {
    "w1": dict(data="digits", sizes=[64, 128, 64, 10], opt="adam", lr=1e-3,
               batch=32, epochs=30),
    "w2": dict(data="synth", sizes=[784, 256, 128, 10], opt="adam", lr=1e-3,
               batch=128, epochs=2),
    "w3": dict(data="digits", sizes=[64, 128, 64, 10], opt="sgd_momentum",
               momentum=0.9, batch=64, steps=100, lr_start=1e-6, lr_end=1.0),
}
ADAM = dict(beta1=0.9, beta2=0.999, eps=1e-8)

# W2 data cache: $BENCH_CACHE, else a .cache folder next to this file
CACHE_DIR = os.environ.get(
    "BENCH_CACHE", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"))


def parse_args(extra=None, description=None):
    """Common CLI: --workload, --threads, --batch, --epochs, --seed (+ extras)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=None, help="override batch size")
    p.add_argument("--epochs", type=int, default=None, help="override epochs (w1/w2)")
    p.add_argument("--seed", type=int, default=0, help="data/split seed")
    if extra:
        extra(p)
    a = p.parse_args()
    wl = dict(WORKLOADS[a.workload])
    if a.batch:
        wl["batch"] = a.batch
    if a.epochs:
        wl["epochs"] = a.epochs
    a.wl = wl
    return a


def set_thread_env(n):
    """Pin every BLAS/OpenMP pool to n threads. Must run before numpy/torch import."""
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[v] = str(n)


def process_age_s():
    """Seconds since this process was exec'd (interpreter start included)."""
    with open("/proc/self/stat") as f:
        # field 22 (starttime, clock ticks since boot); comm may contain spaces
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------ deterministic RNG
# Standard SplitMix64: the k-th output (k = 0, 1, ...) of a generator seeded
# with `seed` is mix(seed + (k+1) * GOLDEN) (all arithmetic mod 2^64).
GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(seed, k):
    """Vectorised SplitMix64 outputs for uint64 index array k."""
    import numpy as np
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (k.astype(np.uint64) + np.uint64(1)) * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def normals(seed, start, count):
    """Normals start..start+count-1 of stream `seed` (Box-Muller on SplitMix64).

    Normal 2j is r*cos(t) and 2j+1 is r*sin(t), with u1 = U(2j), u2 = U(2j+1),
    U(k) = ((splitmix64(seed,k) >> 11) + 0.5) * 2^-53, r = sqrt(-2 ln u1),
    t = 2*pi*u2. Computed in float64.
    """
    import numpy as np
    j0, j1 = start // 2, (start + count + 1) // 2
    k = np.arange(2 * j0, 2 * j1, dtype=np.uint64)
    u = ((splitmix64(seed, k) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53
    r = np.sqrt(-2.0 * np.log(u[0::2]))
    t = 2.0 * np.pi * u[1::2]
    z = np.empty(2 * (j1 - j0))
    z[0::2] = r * np.cos(t)
    z[1::2] = r * np.sin(t)
    off = start - 2 * j0
    return z[off:off + count]


def seeded_permutation(seed, n):
    """Permutation of 0..n-1: indices sorted by their SplitMix64 key (stable)."""
    import numpy as np
    return np.argsort(splitmix64(seed, np.arange(n, dtype=np.uint64)), kind="stable")


# ------------------------------------------------------------------------ data
def digits_csv_path():
    """sklearn's bundled digits file (1797 rows: 64 pixel values 0..16, label)."""
    import importlib.util
    pkg = importlib.util.find_spec("sklearn").submodule_search_locations[0]  # no import
    return os.path.join(pkg, "datasets", "data", "digits.csv.gz")


def read_digits():
    """Same arrays as sklearn.datasets.load_digits() without importing sklearn (~0.9 s)."""
    import numpy as np
    a = np.loadtxt(digits_csv_path(), delimiter=",")
    return a[:, :-1], a[:, -1].astype(np.int64)


def load_digits_split(seed=0, dtype="float32"):
    """W1/W3 data: sklearn digits, seeded 80/20 split, train-fitted standardisation."""
    import numpy as np
    X, y = read_digits()
    perm = seeded_permutation(seed, len(X))
    n_tr = int(0.8 * len(X))  # 1437
    tr, te = perm[:n_tr], perm[n_tr:]
    mu = X[tr].mean(0)
    sd = X[tr].std(0)  # population std (ddof=0)
    sd[sd == 0] = 1.0
    Xs = (X - mu) / sd
    return (Xs[tr].astype(dtype), y[tr], Xs[te].astype(dtype), y[te])


SYNTH_DIM, SYNTH_CLASSES, SYNTH_SCALE = 784, 10, 0.1
SYNTH_N_TRAIN, SYNTH_N_TEST = 60000, 10000


def _synth_block(centers, seed, n):
    """x[i] = SCALE*centers[i % 10] + N(0,1) noise (stream seed, row-major)."""
    import numpy as np
    y = np.arange(n) % SYNTH_CLASSES
    X = np.empty((n, SYNTH_DIM), np.float32)
    rows = 8192  # chunked to bound memory
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        z = normals(seed, r0 * SYNTH_DIM, (r1 - r0) * SYNTH_DIM).reshape(r1 - r0, SYNTH_DIM)
        X[r0:r1] = (SYNTH_SCALE * centers[y[r0:r1]] + z).astype(np.float32)
    return X, y.astype(np.int64)


def load_synth(seed=0):
    """W2 data (60000x784 train, 10000x784 test, f32), cached under CACHE_DIR."""
    import numpy as np
    path = os.path.join(CACHE_DIR, f"synth_v1_seed{seed}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["Xtr"], z["ytr"], z["Xte"], z["yte"]
    base = 16 * seed
    centers = normals(base + 1, 0, SYNTH_CLASSES * SYNTH_DIM).reshape(SYNTH_CLASSES, SYNTH_DIM)
    Xtr, ytr = _synth_block(centers, base + 2, SYNTH_N_TRAIN)
    Xte, yte = _synth_block(centers, base + 3, SYNTH_N_TEST)
    os.makedirs(CACHE_DIR, exist_ok=True)
    tmp = path + f".tmp{os.getpid()}.npz"
    np.savez(tmp, Xtr=Xtr, ytr=ytr, Xte=Xte, yte=yte)
    os.replace(tmp, path)
    return Xtr, ytr, Xte, yte


def load_data(wl, seed=0, dtype="float32"):
    if wl["data"] == "digits":
        return load_digits_split(seed, dtype)
    Xtr, ytr, Xte, yte = load_synth(seed)
    return Xtr.astype(dtype, copy=False), ytr, Xte.astype(dtype, copy=False), yte


# ------------------------------------------------------------------ accounting
def flops_per_sample(sizes):
    """(forward, training, exact training) GEMM FLOPs per sample.

    forward = 2*sum(in*out) (bias/activations ignored); training = 3x forward
    (the 3x convention: forward + dX + dW); exact = what every peer
    actually multiplies: forward + dW + dX of all layers but the first (no
    gradient w.r.t. the input data). exact/3x = 0.84 for W1, 0.72 for W2.
    """
    mats = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    fwd = 2 * sum(mats)
    return fwd, 3 * fwd, 2 * fwd + 2 * sum(mats[1:])


def lr_schedule(wl):
    """W3: lr_i = lr_start * (lr_end/lr_start)^(i/(steps-1)), i = 0..steps-1."""
    n, a, b = wl["steps"], wl["lr_start"], wl["lr_end"]
    return [a * (b / a) ** (i / (n - 1)) for i in range(n)]


def suggest_lr(lrs, losses, beta=0.98):
    """fastai-style hint: LR at the steepest descent of the EMA-smoothed loss."""
    import math
    sm, avg = [], 0.0
    for i, l in enumerate(losses):
        l = l if math.isfinite(l) else float("inf")
        avg = beta * avg + (1 - beta) * l
        sm.append(avg / (1 - beta ** (i + 1)))
    best, arg = float("inf"), None
    for i in range(1, len(sm)):
        if not (math.isfinite(sm[i]) and math.isfinite(sm[i - 1])):
            break
        g = (sm[i] - sm[i - 1]) / (math.log(lrs[i]) - math.log(lrs[i - 1]))
        if g < best:
            best, arg = g, lrs[i]
    return arg


def blas_info():
    """[(library, kernel architecture, threads)] of the loaded BLAS/OpenMP pools."""
    from threadpoolctl import threadpool_info
    return [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info()]


class Stopwatch:
    """Wall (perf_counter) and process CPU time (all threads) since start()."""

    def start(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def stop(self):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0
        return self.wall


def emit(peer, args, sw, n_samples, steps, extra=None):
    """Print the single JSON result line. sw: stopped Stopwatch of the timed loop.

    cpu_util = process CPU seconds / wall seconds over the timed loop: ~1.0 for
    an unpreempted single-threaded run; well below `threads` means the run was
    preempted by other processes (or threads idled).
    """
    wl = args.wl
    train_s = sw.wall
    fwd, train_flops, exact = flops_per_sample(wl["sizes"])
    rec = dict(peer=peer, workload=args.workload, threads=args.threads,
               batch=wl["batch"], epochs=wl.get("epochs"), steps=steps,
               train_s=round(train_s, 6), cpu_util=round(sw.cpu / train_s, 3),
               samples=n_samples,
               samples_per_s=round(n_samples / train_s, 1),
               gflops_per_s=round(n_samples * train_flops / train_s / 1e9, 3),
               gflops_per_s_exact=round(n_samples * exact / train_s / 1e9, 3),
               flops_per_sample_fwd=fwd, flops_per_sample_train=train_flops,
               flops_per_sample_exact=exact,
               host=platform.node(), python=platform.python_version())
    if wl.get("epochs"):
        rec["epoch_s"] = round(train_s / wl["epochs"], 6)
    rec.update(extra or {})
    rec["process_s"] = round(process_age_s(), 3)  # exec -> now (before teardown)
    print(json.dumps(rec), flush=True)
