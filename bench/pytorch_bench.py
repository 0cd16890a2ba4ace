#!/usr/bin/env python3
"""The plain-PyTorch reference target for `npm run bench` (issue 10): one process, one JSON line
on stdout in bench/target.ts' TargetResult schema, progress on stderr.

    python3 bench/pytorch_bench.py [--threads N] [--matmul-only] [--steps S] [--warmup W] [--blas]

What it measures, all float32 on the CPU with torch.set_num_threads(N):
- MNRL training steps at batch 32 x seq 32 and 8 x 128 on the MiniLM-L6 shape: a BERT encoder
  written with torch.nn (no transformers library, so nothing but PyTorch's own kernels is timed),
  dropout 0.1 in training, mean pooling, cosine similarity x 20, cross-entropy against in-batch
  labels, AdamW (lr 2e-5, weight decay 0.01 off biases and LayerNorms, as the HF Trainer groups
  them) and gradient clipping at 1.0;
- encode (eval mode, no_grad, mean pooling) of 64 sentences at seq 32 and 128;
- torch.matmul GFLOP/s on bench/target.ts' shapes and transposes.

The point is a like-for-like row next to our `wasm` backend: same shape, same batch layout (one
forward over 2 x batch rows, anchors then positives, as our trainer records it), same thread count.
"""
import argparse
import json
import math
import os
import sys
import time


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="intra-op threads (default: the CPUs this process may use, as os.availableParallelism() in Node)")
    parser.add_argument("--matmul-only", action="store_true", help="skip training and encoding")
    parser.add_argument("--steps", type=int, default=4, help="at least this many timed training steps (and at least 10 s)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed training steps first")
    parser.add_argument("--blas", action="store_true", help="print the BLAS torch loaded (for bench/run.ts) and exit")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads wants a positive integer")
    return args


ARGS = parse_args()
# An OpenBLAS or OpenMP pool sizes itself when the library loads, so the thread count goes into
# the environment before torch is imported; torch.set_num_threads below covers ATen's own pool.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # run.ts installs Debian's python3-torch or skips the row
    print(f"pytorch_bench: no torch for {sys.executable} ({error}); on Debian: apt-get install python3-torch, then run /usr/bin/python3", file=sys.stderr)
    sys.exit(3)

# bench/target.ts' MINILM_L6.
VOCAB, HIDDEN, LAYERS, HEADS, FFN, MAX_POS, TYPES, LN_EPS, DROPOUT = 30522, 384, 6, 12, 1536, 512, 2, 1e-12, 0.1


def progress(msg: str) -> None:
    print(f"[pytorch] {msg}", file=sys.stderr, flush=True)


class Layer(nn.Module):
    """One post-LN BERT layer, as HF's BertLayer computes it in eager mode."""

    def __init__(self) -> None:
        super().__init__()
        self.heads, self.head_dim = HEADS, HIDDEN // HEADS
        # q, k and v fused into one [3H, H] Linear, as our engine stores them.
        self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.attn_out = nn.Linear(HIDDEN, HIDDEN)
        self.attn_norm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)
        self.out_norm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, x: torch.Tensor, mask_add: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_add
        probs = self.dropout(scores.softmax(dim=-1))
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, HIDDEN)
        x = self.attn_norm(x + self.dropout(self.attn_out(ctx)))
        # Exact (erf) GELU: hidden_act "gelu" in BERT configs, what our engine computes.
        h = F.gelu(self.intermediate(x), approximate="none")
        return self.out_norm(x + self.dropout(self.output(h)))


class Bert(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.word = nn.Embedding(VOCAB, HIDDEN)
        self.position = nn.Embedding(MAX_POS, HIDDEN)
        self.token_type = nn.Embedding(TYPES, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=LN_EPS)
        self.dropout = nn.Dropout(DROPOUT)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        # BERT's initialisation (normal, std 0.02), as randomBertWeights; speed does not depend on it.
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """Mean-pooled sentence embeddings [B, H]."""
        positions = torch.arange(ids.shape[1])
        x = self.dropout(self.norm(self.word(ids) + self.position(positions)[None] + self.token_type(types)))
        # Additive key mask [B, 1, 1, T]: padding gets the most negative float, as HF does.
        mask_add = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, mask_add)
        m = mask[:, :, None].float()
        return (x * m).sum(1) / m.sum(1).clamp(min=1e-9)


def token_batch(rows: int, seq: int, gen: torch.Generator) -> tuple:
    """bench/target.ts' randomBatch: [CLS] random ids [SEP], every token attended, type 0."""
    ids = torch.randint(1000, 29000, (rows, seq), generator=gen)
    ids[:, 0], ids[:, -1] = 101, 102
    return ids, torch.ones(rows, seq, dtype=torch.long), torch.zeros(rows, seq, dtype=torch.long)


def optimizer_for(model: nn.Module) -> torch.optim.Optimizer:
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "norm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "norm" in n]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=2e-5, betas=(0.9, 0.999), eps=1e-8)


def time_training(batch: int, seq: int, min_steps: int, min_seconds: float, warmup: int) -> dict:
    torch.manual_seed(1)
    model = Bert().train()
    opt = optimizer_for(model)
    gen = torch.Generator().manual_seed(2)
    # Four batches cycled, as target.ts does; each holds anchors then positives (2 x batch rows).
    batches = [token_batch(2 * batch, seq, gen) for _ in range(4)]
    labels = torch.arange(batch)

    def step(i: int) -> float:
        ids, mask, types = batches[i % len(batches)]
        emb = model(ids, mask, types)
        a, p = F.normalize(emb[:batch], dim=-1), F.normalize(emb[batch:], dim=-1)
        # MultipleNegativesRankingLoss: cosine similarity x 20 against in-batch negatives.
        loss = F.cross_entropy(a @ p.T * 20.0, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for i in range(warmup):
        step(i)
    start, steps = time.perf_counter(), 0
    while steps < min_steps or time.perf_counter() - start < min_seconds:
        loss = step(steps)
        if not math.isfinite(loss):
            raise RuntimeError("non-finite loss in the benchmark")
        steps += 1
    seconds = time.perf_counter() - start
    return {"batch": batch, "seq": seq, "pairsPerSecond": batch * steps / seconds, "msPerStep": seconds * 1000 / steps, "steps": steps}


def time_encode(batch: int, seq: int) -> dict:
    torch.manual_seed(1)
    model = Bert().eval()
    ids, mask, types = token_batch(batch, seq, torch.Generator().manual_seed(4))
    with torch.no_grad():
        model(ids, mask, types)
        start, runs = time.perf_counter(), 0
        while runs < 3 or time.perf_counter() - start < 3:
            model(ids, mask, types)
            runs += 1
    seconds = time.perf_counter() - start
    return {"batch": batch, "seq": seq, "sentencesPerSecond": batch * runs / seconds}


def time_matmul(m: int, k: int, n: int, trans_a: bool, trans_b: bool) -> float:
    gen = torch.Generator().manual_seed(3)
    # A transposed operand is stored transposed and viewed with .T, so BLAS gets the flag (no copy).
    a = torch.rand((k, m) if trans_a else (m, k), generator=gen) - 0.5
    b = torch.rand((n, k) if trans_b else (k, n), generator=gen) - 0.5
    a, b = (a.T if trans_a else a), (b.T if trans_b else b)
    out = torch.empty(m, n)
    for _ in range(3):
        torch.matmul(a, b, out=out)
    start, runs = time.perf_counter(), 0
    while runs < 20 or time.perf_counter() - start < 1:
        torch.matmul(a, b, out=out)
        runs += 1
    return 2 * m * k * n * runs / (time.perf_counter() - start) / 1e9


def blas_library() -> tuple:
    """(short name, path) of the BLAS this process loaded: Debian's torch links libblas.so.3, and
    which implementation that is (netlib reference, OpenBLAS, BLIS) decides its matmul speed."""
    paths = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if any(s in os.path.basename(path) for s in ("blas", "mkl", "blis")):
                    paths.add(os.path.realpath(path))
    except OSError:
        pass
    for path in sorted(paths):
        for key, name in (("openblas", "OpenBLAS"), ("blis", "BLIS"), ("mkl", "MKL"), ("atlas", "ATLAS")):
            if key in path:
                return name, path
    if paths:
        return "reference BLAS (netlib)", sorted(paths)[0]
    info = torch.__config__.show()
    return ("MKL" if "BLAS_INFO=mkl" in info else "BLAS unknown"), ""


def main() -> None:
    args = ARGS
    torch.set_num_threads(args.threads)
    # One op at a time, each over the intra-op pool, as our engine and the ORT targets run.
    torch.set_num_interop_threads(1)

    blas, blas_path = blas_library()
    if args.blas:
        print(json.dumps({"blas": blas, "path": blas_path, "torch": torch.__version__}))
        return
    notes = [f"BLAS: {blas}{f' ({blas_path})' if blas_path else ''}"]
    if blas.startswith("reference"):
        notes.append("warning: torch's matmul runs on the netlib reference BLAS here (Debian's default libblas3), far slower than a pip wheel's MKL; apt-get install libopenblas0-pthread switches libblas.so.3 to OpenBLAS")
    threads = torch.get_num_threads()
    result = {
        "target": "pytorch",
        "adapter": f"PyTorch {torch.__version__} CPU ({blas}), {threads} thread{'' if threads == 1 else 's'}",
        "fallback": False,
        "features": [],
        "matmul": [],
        "training": [],
        "encode": [],
        "notes": notes,
    }
    variant = f"torch.matmul, {threads} thread{'' if threads == 1 else 's'}"
    for m, k, n in ((512, 384, 1536), (2048, 384, 384)):
        ops = (("A·B", False, False), ("A·Bᵀ", False, True), ("Aᵀ·B", True, False)) if m == 512 else (("A·B", False, False),)
        for op, ta, tb in ops:
            gflops = time_matmul(m, k, n, ta, tb)
            result["matmul"].append({"variant": variant, "shape": f"{m}x{k}·{k}x{n}", "gflops": gflops, "op": op})
            progress(f"matmul {op} {m}x{k}x{n}: {gflops:.2f} GFLOP/s")
    if args.matmul_only:
        notes.append("--matmul-only: training and encoding not measured")
    else:
        for batch, seq in ((32, 32), (8, 128)):
            r = time_training(batch, seq, args.steps, 10.0, args.warmup)
            result["training"].append(r)
            progress(f"train MNRL {batch}x{seq}: {r['pairsPerSecond']:.2f} pairs/s ({r['msPerStep']:.0f} ms/step)")
        for seq in (32, 128):
            r = time_encode(64, seq)
            result["encode"].append(r)
            progress(f"encode 64x{seq}: {r['sentencesPerSecond']:.1f} sentences/s")
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
