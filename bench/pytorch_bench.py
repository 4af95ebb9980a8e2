#!/usr/bin/python3
"""The jgrad benchmark workloads in PyTorch, for side-by-side ratios on the same machine.

Mirrors bench/src/main/java/dev/jgrad/bench/{GemmBench,KernelBench,StepBench,GenerateBench}.java:
same shapes, same models, same optimizers. Writes one JSON file of median times in microseconds.

Run it through bench/pytorch.sh (installs Debian's python3-torch and libopenblas0-pthread when
missing and runs every thread setting), or directly:
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch_bench.py --threads 2 --out f.json
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

GEMM_SHAPES = ["64", "128", "256", "512", "1024", "2048", "207", "300", "702",
               "768x128x384", "768x128x128", "768x128x512", "768x512x128", "768x128x65", "48x256x64x64"]


def median_us(fn, min_time=0.3, repeats=7, warmup=0.3):
    """Median over `repeats` runs of the mean time of one call, in microseconds."""
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < warmup or n < 2:
        fn()
        n += 1
    per = (time.perf_counter() - t0) / n
    inner = max(1, int(min_time / max(per, 1e-9)))
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t) / inner * 1e6)
    return statistics.median(samples)


def parse_shape(s):
    p = [int(v) for v in s.split("x")]
    if len(p) == 1:
        return 1, p[0], p[0], p[0]
    if len(p) == 3:
        return (1, *p)
    return tuple(p)


def gemm(results, quick):
    g = torch.Generator().manual_seed(1)
    for s in GEMM_SHAPES:
        if quick and s in ("1024", "2048"):
            continue
        b, m, k, n = parse_shape(s)
        if b == 1:
            a, bb, c = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g), torch.empty(m, n)
            fn = lambda: torch.mm(a, bb, out=c)
        else:
            a, bb, c = torch.randn(b, m, k, generator=g), torch.randn(b, k, n, generator=g), torch.empty(b, m, n)
            fn = lambda: torch.bmm(a, bb, out=c)
        results[f"gemm/{s}"] = median_us(fn)


# ---------------------------------------------------------------- kernels

KERNEL_SHAPES = ["3072x64", "768x65", "768x128", "64x50257", "4096x4096"]


def rows_cols(s):
    r, c = s.split("x")
    return int(r), int(c)


def kernels(results):
    g = torch.Generator().manual_seed(2)
    for s in KERNEL_SHAPES:
        r, c = rows_cols(s)
        x = torch.randn(r, c, generator=g)
        results[f"softmax/{s}"] = median_us(lambda: torch.softmax(x, -1))
        xg = x.clone().requires_grad_(True)
        y = torch.randint(0, c, (r,), generator=g)

        def ce():
            loss = F.cross_entropy(xg, y)
            torch.autograd.grad(loss, xg)
        results[f"cross_entropy_fwd_bwd/{s}"] = median_us(ce)
    for s in KERNEL_SHAPES:
        r, c = rows_cols(s)
        x = torch.randn(r, c, generator=g).requires_grad_(True)
        w = torch.randn(c, generator=g).requires_grad_(True)
        b = torch.randn(c, generator=g).requires_grad_(True)
        up = torch.randn(r, c, generator=g)

        def ln():
            out = F.layer_norm(x, (c,), w, b, 1e-5)
            torch.autograd.grad(out, (x, w, b), up)
        results[f"layernorm_fwd_bwd/{s}"] = median_us(ln)
    # Causal attention at the GPT shape: B 12, nh 4, T 64, hs 32 (nanoGPT's explicit path).
    bsz, nh, t, hs = 12, 4, 64, 32
    q, k, v = (torch.randn(bsz, nh, t, hs, generator=g).requires_grad_(True) for _ in range(3))
    up = torch.randn(bsz, nh, t, hs, generator=g)
    mask = torch.tril(torch.ones(t, t)).view(1, 1, t, t)

    def attn():
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(mask == 0, float("-inf"))
        out = F.softmax(att, dim=-1) @ v
        torch.autograd.grad(out, (q, k, v), up)
    results["attention_fwd_bwd/12x4x64x32"] = median_us(attn)


# ---------------------------------------------------------------- models

class MLP(nn.Module):
    def __init__(self, vocab=27, context=3, embd=10, hidden=200):
        super().__init__()
        self.emb = nn.Embedding(vocab + 1, embd)
        self.hidden = nn.Linear(context * embd, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, y):
        h = torch.tanh(self.hidden(self.emb(x).view(x.shape[0], -1)))
        return F.cross_entropy(self.out(h), y)


class Bigram(nn.Module):
    def __init__(self, vocab=65, embd=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, embd)
        self.out = nn.Linear(embd, vocab)

    def forward(self, x, y):
        logits = self.out(self.emb(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))


class LSTMLM(nn.Module):
    def __init__(self, vocab=65, embd=64, hidden=384):
        super().__init__()
        self.emb = nn.Embedding(vocab, embd)
        self.lstm = nn.LSTM(embd, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, y):
        h, _ = self.lstm(self.emb(x))
        logits = self.out(h)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))


class LayerNormNoBias(nn.Module):
    """torch 1.13's nn.LayerNorm has no bias switch; nanoGPT's bias=False LayerNorm is this."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)


def layer_norm(c, bias):
    return nn.LayerNorm(c) if bias else LayerNormNoBias(c)


class Block(nn.Module):
    """nanoGPT's block (explicit attention: torch 1.13 has no scaled_dot_product_attention)."""

    def __init__(self, c, nh, t, bias=True):
        super().__init__()
        self.nh = nh
        self.ln_1 = layer_norm(c, bias)
        self.c_attn = nn.Linear(c, 3 * c, bias=bias)
        self.c_proj = nn.Linear(c, c, bias=bias)
        self.ln_2 = layer_norm(c, bias)
        self.c_fc = nn.Linear(c, 4 * c, bias=bias)
        self.mlp_proj = nn.Linear(4 * c, c, bias=bias)
        self.register_buffer("bias", torch.tril(torch.ones(t, t)).view(1, 1, t, t))

    def attn(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
        att = att.masked_fill(self.bias[:, :, :t, :t] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab=65, block=64, layers=4, heads=4, embd=128, bias=True):
        super().__init__()
        self.block = block
        self.wte = nn.Embedding(vocab, embd)
        self.wpe = nn.Embedding(block, embd)
        self.h = nn.ModuleList([Block(embd, heads, block, bias) for _ in range(layers)])
        self.ln_f = layer_norm(embd, bias)
        self.lm_head = nn.Linear(embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def logits(self, idx):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for blk in self.h:
            x = blk(x)
        return self.lm_head(self.ln_f(x))

    def forward(self, x, y):
        logits = self.logits(x)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))


def adamw_matrices_decayed(model, lr, betas, wd):
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    rest = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=betas)


def steps(results):
    torch.manual_seed(1337)
    cases = {
        "bigram": (Bigram(), lambda m: torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.0), (65, 32, 64), 0),
        "mlp": (MLP(), lambda m: torch.optim.SGD(m.parameters(), lr=0.1), None, 0),
        "lstm": (LSTMLM(), lambda m: torch.optim.AdamW(m.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.0),
                 (65, 32, 64), 1.0),
        "gpt": (GPT(), lambda m: adamw_matrices_decayed(m, 1e-3, (0.9, 0.99), 0.1), (65, 12, 64), 1.0),
    }
    for name, (model, make_opt, batch, clip) in cases.items():
        opt = make_opt(model)
        if batch is None:
            x, y = torch.randint(0, 27, (32, 3)), torch.randint(0, 27, (32,))
        else:
            v, b, t = batch
            x, y = torch.randint(0, v, (b, t)), torch.randint(0, v, (b, t))

        def step():
            loss = model(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            return loss.item()
        results[f"step/{name}"] = median_us(step, min_time=1.0, repeats=5, warmup=2.0)


@torch.no_grad()
def generate(results):
    """nanoGPT's generate: re-read the cropped context for every new token (no KV cache); 63
    tokens after a one-token prompt fill the block, as GenerateBench does."""
    torch.manual_seed(1337)
    model = GPT().eval()
    tokens = 63

    def run():
        idx = torch.zeros((1, 1), dtype=torch.long)
        for _ in range(tokens):
            cond = idx[:, -model.block:]
            logits = model.logits(cond)[:, -1, :]
            nxt = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, nxt), dim=1)
        return idx
    results["generate/uncached_63"] = median_us(run, min_time=1.0, repeats=5, warmup=2.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True, help="recorded with the results; set the env vars")
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="gemm,kernels,steps,generate")
    ap.add_argument("--quick", action="store_true", help="skip the largest GEMMs")
    args = ap.parse_args()
    results = {}
    parts = args.only.split(",")
    if "gemm" in parts:
        gemm(results, args.quick)
    if "kernels" in parts:
        kernels(results)
    if "steps" in parts:
        steps(results)
    if "generate" in parts:
        generate(results)
    meta = {
        "torch": torch.__version__,
        "threads": args.threads,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "unit": "us",
    }
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
