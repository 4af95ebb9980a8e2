#!/usr/bin/python3
"""Reference run in PyTorch for README's GPT row: nanoGPT's CPU config on tiny shakespeare.

nanoGPT reports "val loss 1.88" for this config (block 64, batch 12, 4 layers, 4 heads, 128 embd,
dropout 0, bias off, AdamW lr 1e-3 with betas (0.9, 0.99), weight decay 0.1 on matrices, warmup
100 then cosine to 1e-4 at 2000, clip 1.0, 2000 iterations), estimated on 20 random validation
batches. This script trains the same model the same way in PyTorch and reports the final
validation loss three ways, so that jgrad's number can be compared with like:
  full      every validation character predicted once, consecutive windows of 64
            (what jgrad's Evaluation.evaluate and `./jgrad train ... --eval-tokens 0` report)
  est20     nanoGPT's estimate: mean loss of 20 random batches of 12 x 64 (eval_iters=20)
  est200    the same with 200 batches (nanoGPT's default eval_iters)

Usage (Debian's python3-torch; bench/pytorch.sh installs it):
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/reference_gpt_shakespeare.py \
        --data ../shared/data/tinyshakespeare.txt --seed 1337 [--out result.json]
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from pytorch_bench import GPT   # the model the step benchmarks time, with nanoGPT's switches


def nanogpt(vocab):
    """nanoGPT's model at the CPU config: no biases, tied head, GPT-2 init (N(0, 0.02), the two
    residual projections scaled by 1/sqrt(2 * layers))."""
    layers = 4
    model = GPT(vocab, 64, layers, 4, 128, bias=False)
    for name, p in model.named_parameters():
        if p.dim() >= 2:
            std = 0.02 / math.sqrt(2 * layers) if name.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
            torch.nn.init.normal_(p, mean=0.0, std=std)
    return model


def loss_sum(model, x, y):
    logits = model.logits(x)
    return F.cross_entropy(logits.view(-1, logits.shape[-1]), y.reshape(-1), reduction="sum")


def lr_at(it, lr, min_lr, warmup, decay_iters):
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def batch(data, block, size):
    ix = torch.randint(len(data) - block, (size,))
    x = torch.stack([data[i:i + block] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block] for i in ix])
    return x, y


@torch.no_grad()
def full_val_loss(model, val, block):
    total, count = 0.0, 0
    for start in range(0, len(val) - 1, block):
        n = min(block, len(val) - 1 - start)
        x = val[start:start + n].view(1, n)
        y = val[start + 1:start + 1 + n].view(1, n)
        total += loss_sum(model, x, y).item()
        count += n
    return total / count


@torch.no_grad()
def estimate(model, val, block, size, iters):
    return sum(loss_sum(model, *batch(val, block, size)).item() / (size * block) for _ in range(iters)) / iters


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    text = open(a.data, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(0.9 * len(data))
    train, val = data[:n], data[n:]
    block, size = 64, 12
    model = nanogpt(len(chars))
    params = list(model.parameters())
    opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                             {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99))
    t0 = time.time()
    for it in range(a.iters):
        for g in opt.param_groups:
            g["lr"] = lr_at(it, 1e-3, 1e-4, 100, a.iters)
        x, y = batch(train, block, size)
        loss = loss_sum(model, x, y) / (size * block)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (it + 1) % 500 == 0:
            print(f"iter {it + 1}: train loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()
    result = {"seed": a.seed, "iters": a.iters, "full": full_val_loss(model, val, block),
              "est20": estimate(model, val, block, size, 20), "est200": estimate(model, val, block, size, 200),
              "seconds": time.time() - t0}
    print(json.dumps(result))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
