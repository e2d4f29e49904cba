#!/usr/bin/env python
"""Peer (a): PyTorch eager on CPU -- the fastest honest plain training loop.

Tensors are preloaded; each epoch indexes them with a fresh permutation (no
DataLoader). Model = nn.Sequential(Linear, ReLU, ...) with PyTorch default
init, mean softmax cross-entropy, torch.optim.Adam(fused=True) (W1/W2; the
CPU default is the slower per-tensor loop, see --adam-impl) or SGD momentum
(W3 LR range test). The first torch.optim constructor imports torch._dynamo
(~1 s); that is reported as setup_s, outside the timed loop.
Prints one JSON line (see common.emit).

Set TORCHINDUCTOR_CACHE_DIR to control torch.compile's cache (a persistent
one for warm runs, a fresh one for 'cold' runs).

  python peer_torch.py --workload w1 --threads 1
  python peer_torch.py --workload w2 --threads 2 --batch 512
  python peer_torch.py --workload w3 --threads 1
  python peer_torch.py --workload w1 --threads 1 --compile   # torch.compile
"""
import time

import common


def extra_args(p):
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--adam-impl", choices=["fused", "default", "foreach"],
                   default="fused", help="torch.optim.Adam implementation; 'default' = "
                   "no flag (the single-tensor for-loop on CPU), fused is fastest on CPU")


args = common.parse_args(extra_args, __doc__)
common.set_thread_env(args.threads)

import numpy as np  # noqa: E402  (after thread env)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)
import_s = common.process_age_s()

wl = args.wl
PEER = "torch" + ("-compile" if args.compile else "") + \
    ("" if args.adam_impl == "fused" or args.workload == "w3" else f"-adam-{args.adam_impl}")
t = time.perf_counter()
Xtr, ytr, Xte, yte = common.load_data(wl, args.seed)
Xtr, ytr = torch.from_numpy(Xtr), torch.from_numpy(ytr)
Xte, yte = torch.from_numpy(Xte), torch.from_numpy(yte)
data_s = time.perf_counter() - t

t_setup = time.perf_counter()
torch.manual_seed(args.seed)
g = torch.Generator().manual_seed(args.seed)  # per-epoch shuffles
sizes = wl["sizes"]
layers = []
for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
    layers.append(torch.nn.Linear(a, b))  # PyTorch default (kaiming-uniform a=sqrt(5)) init
    if i < len(sizes) - 2:
        layers.append(torch.nn.ReLU())
model = torch.nn.Sequential(*layers)
fwd = torch.compile(model, dynamic=False) if args.compile else model
n, bs = len(Xtr), wl["batch"]
extra = dict(import_s=round(import_s, 3), data_s=round(data_s, 4),
             torch=torch.__version__, compile=args.compile)

if args.workload in ("w1", "w2"):
    kw = {"foreach": dict(foreach=True), "fused": dict(fused=True),
          "default": {}}[args.adam_impl]
    opt = torch.optim.Adam(model.parameters(), lr=wl["lr"],
                           betas=(common.ADAM["beta1"], common.ADAM["beta2"]),
                           eps=common.ADAM["eps"], **kw)
    epoch_times, epoch_loss, steps = [], [], 0
    extra["setup_s"] = round(time.perf_counter() - t_setup, 4)  # model + optimiser
    sw = common.Stopwatch().start()
    for ep in range(wl["epochs"]):
        te = time.perf_counter()
        perm = torch.randperm(n, generator=g)
        running = torch.zeros(())
        for i in range(0, n, bs):  # last partial batch included
            idx = perm[i:i + bs]
            loss = F.cross_entropy(fwd(Xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.detach() * len(idx)
            steps += 1
        epoch_loss.append(running.item() / n)
        epoch_times.append(time.perf_counter() - te)
    sw.stop()
    with torch.inference_mode():
        acc = (fwd(Xte).argmax(1) == yte).float().mean().item()
    extra.update(test_acc=round(acc, 4), final_train_loss=round(epoch_loss[-1], 5),
                 first_epoch_s=round(epoch_times[0], 4),
                 steady_epoch_s=round(float(np.median(epoch_times[1:] or epoch_times)), 4),
                 adam_impl=args.adam_impl)
    common.emit(PEER, args, sw, n * wl["epochs"], steps, extra)
else:  # w3: LR range test, fixed number of steps, full batches only
    lrs = common.lr_schedule(wl)
    opt = torch.optim.SGD(model.parameters(), lr=lrs[0], momentum=wl["momentum"])
    losses, pos = [], n
    extra["setup_s"] = round(time.perf_counter() - t_setup, 4)  # model + optimiser
    sw = common.Stopwatch().start()
    for lr in lrs:
        if pos + bs > n:  # reshuffle when the next full batch does not fit
            perm, pos = torch.randperm(n, generator=g), 0
        idx = perm[pos:pos + bs]
        pos += bs
        for group in opt.param_groups:
            group["lr"] = lr
        loss = F.cross_entropy(fwd(Xtr[idx]), ytr[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # the LR finder records every step
    loop_s = sw.stop()
    finite = [l for l in losses if np.isfinite(l)]
    extra.update(loop_s=round(loop_s, 6), min_loss=round(min(finite), 5),
                 suggested_lr=common.suggest_lr(lrs, losses),
                 first_loss=round(losses[0], 5))
    common.emit(PEER, args, sw, bs * wl["steps"], wl["steps"], extra)
