#!/usr/bin/env python3
"""numpy reference for `neuroshard-bench model`: one training step (forward + backward) of the
NeuroLLM architecture written in numpy, on the same shapes, counted with the same FLOP formula.

Same architecture as Sources/NeuroLLM: byte embedding; blocks of pre-norm RMSNorm, causal
grouped-query attention with rotary positions (half-split pairs), SwiGLU MLP; final RMSNorm, LM
head, softmax cross-entropy. Backward written by hand (numpy has no autodiff), float32
throughout, one BLAS thread (the bench sets OPENBLAS_NUM_THREADS=1; so does this script when run
alone). The weights are random (numpy's generator): only the speed is compared.

Prints a human line and, last, one JSON line the bench reads. `--check` instead verifies this
script's backward pass against finite differences in float64 on a micro network (exit 1 if off).
Exits with 3 when numpy is missing.
"""
import argparse
import json
import os
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

try:
    import numpy as np
except ImportError:
    print("numpy is not installed (Debian: apt-get install python3-numpy)", file=sys.stderr)
    sys.exit(3)

VOCABULARY = 260
# Keep in step with ModelConfig.preset in Sources/NeuroLLM/ModelConfig.swift.
PRESETS = {
    "tiny": dict(hidden=32, blocks=2, heads=4, kv_heads=2, ffn=96, context=32),
    "small": dict(hidden=256, blocks=4, heads=8, kv_heads=2, ffn=768, context=128),
    "default": dict(hidden=512, blocks=11, heads=16, kv_heads=4, ffn=2048, context=512),
}


def flops(c, tokens, sequence):
    """ModelConfig.flops: 2·m·n·k per product, backward twice the forward, full attention squares."""
    h, kv, f = c["hidden"], c["kv_heads"] * c["hidden"] // c["heads"], c["ffn"]
    block = 2 * h * (h + 2 * kv) + 2 * h * h + 2 * h * 2 * f + 2 * f * h + 2 * 2 * sequence * h
    head = 2 * h * VOCABULARY
    return 3 * (c["blocks"] * block + head) * tokens


class Model:
    def __init__(self, c, batch, sequence, dtype, seed=1):
        self.c, self.B, self.T, self.dtype = c, batch, sequence, dtype
        self.H, self.heads, self.kvh, self.F = c["hidden"], c["heads"], c["kv_heads"], c["ffn"]
        self.d = self.H // self.heads
        self.kv = self.kvh * self.d
        rng = np.random.default_rng(seed)

        def normal(shape, std):
            return (rng.standard_normal(shape) * std).astype(dtype)

        def gain():
            return (1 + 0.2 * rng.standard_normal(self.H)).astype(dtype)

        H, F = self.H, self.F
        self.embedding = normal((VOCABULARY, H), 1.0)
        self.blocks = [dict(n1=gain(), wqkv=normal((H + 2 * self.kv, H), H ** -0.5), wo=normal((H, H), H ** -0.5),
                            n2=gain(), wgu=normal((2 * F, H), H ** -0.5), wd=normal((H, F), F ** -0.5))
                       for _ in range(c["blocks"])]
        self.head = dict(n=gain(), w=normal((VOCABULARY, H), 0.5 * H ** -0.5))
        half = self.d // 2
        angles = np.arange(sequence)[:, None] * (10000.0 ** (-2.0 * np.arange(half) / self.d))[None, :]
        self.cos, self.sin = np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)
        self.mask = np.triu(np.ones((sequence, sequence), dtype=bool), 1)
        self.eps = dtype(1e-5)

    def parameters(self):
        yield self.embedding
        for b in self.blocks:
            yield from b.values()
        yield from self.head.values()

    # RMSNorm
    def norm(self, x, g):
        inv = 1 / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps)
        return x * inv * g, inv

    @staticmethod
    def norm_back(x, g, inv, dy):
        xhat = x * inv
        gdy = dy * g
        return inv * (gdy - xhat * (gdy * xhat).mean(-1, keepdims=True)), (dy * xhat).sum(0)

    # Rotary positions on (B, T, heads, d), half-split pairs; sign −1 is the inverse rotation.
    def rotate(self, x, sign=1):
        half = self.d // 2
        c, s = self.cos[None, :, None, :], sign * self.sin[None, :, None, :]
        lo, hi = x[..., :half], x[..., half:]
        return np.concatenate([lo * c - hi * s, hi * c + lo * s], axis=-1)

    def block_forward(self, p, x):
        B, T, H, kv, d, kvh, F = self.B, self.T, self.H, self.kv, self.d, self.kvh, self.F
        group = self.heads // kvh
        n1, inv1 = self.norm(x, p["n1"])
        qkv = n1 @ p["wqkv"].T
        q = self.rotate(qkv[:, :H].reshape(B, T, self.heads, d))
        k = self.rotate(qkv[:, H:H + kv].reshape(B, T, kvh, d))
        v = qkv[:, H + kv:].reshape(B, T, kvh, d)
        # (B, kvh, group, T, d) queries against (B, kvh, 1, T, d) keys and values
        qh = q.reshape(B, T, kvh, group, d).transpose(0, 2, 3, 1, 4)
        kh = k.transpose(0, 2, 1, 3)[:, :, None]
        vh = v.transpose(0, 2, 1, 3)[:, :, None]
        s = (qh @ kh.swapaxes(-1, -2)) * self.dtype(d ** -0.5)
        s[..., self.mask] = -np.inf
        s = np.exp(s - s.max(-1, keepdims=True))
        prob = s / s.sum(-1, keepdims=True)
        attn = (prob @ vh).transpose(0, 3, 1, 2, 4).reshape(B * T, H)
        mid = x + attn @ p["wo"].T
        n2, inv2 = self.norm(mid, p["n2"])
        gu = n2 @ p["wgu"].T
        gate, up = gu[:, :F], gu[:, F:]
        sig = 1 / (1 + np.exp(-gate))
        act = gate * sig * up
        y = mid + act @ p["wd"].T
        return y, (x, n1, inv1, qh, kh, vh, prob, attn, mid, n2, inv2, gate, up, sig, act)

    def block_backward(self, p, cache, dy):
        B, T, H, kv, d, kvh, F = self.B, self.T, self.H, self.kv, self.d, self.kvh, self.F
        group = self.heads // kvh
        x, n1, inv1, qh, kh, vh, prob, attn, mid, n2, inv2, gate, up, sig, act = cache
        g = {}
        g["wd"] = dy.T @ act
        dact = dy @ p["wd"]
        dgu = np.concatenate([dact * up * sig * (1 + gate * (1 - sig)), dact * gate * sig], axis=1)
        g["wgu"] = dgu.T @ n2
        dmid, g["n2"] = self.norm_back(mid, p["n2"], inv2, dgu @ p["wgu"])
        dmid += dy
        g["wo"] = dmid.T @ attn
        dattn = (dmid @ p["wo"]).reshape(B, T, kvh, group, d).transpose(0, 2, 3, 1, 4)
        dprob = dattn @ vh.swapaxes(-1, -2)
        dv = (prob.swapaxes(-1, -2) @ dattn).sum(2)
        ds = prob * (dprob - (dprob * prob).sum(-1, keepdims=True)) * self.dtype(d ** -0.5)
        dq = ds @ kh
        dk = (ds.swapaxes(-1, -2) @ qh).sum(2)
        dq = self.rotate(dq.transpose(0, 3, 1, 2, 4).reshape(B, T, self.heads, d), -1).reshape(B * T, H)
        dk = self.rotate(dk.transpose(0, 2, 1, 3), -1).reshape(B * T, kv)
        dv = dv.transpose(0, 2, 1, 3).reshape(B * T, kv)
        dqkv = np.concatenate([dq, dk, dv], axis=1)
        g["wqkv"] = dqkv.T @ n1
        dx, g["n1"] = self.norm_back(x, p["n1"], inv1, dqkv @ p["wqkv"])
        return dx + dmid, g

    def step(self, tokens, targets):
        """Loss and gradients (in the order of `parameters`)."""
        x = self.embedding[tokens]
        caches = []
        for p in self.blocks:
            x, cache = self.block_forward(p, x)
            caches.append(cache)
        n, inv = self.norm(x, self.head["n"])
        logits = n @ self.head["w"].T
        logits -= logits.max(-1, keepdims=True)
        e = np.exp(logits)
        total = e.sum(-1, keepdims=True)
        rows = np.arange(len(targets))
        valid = targets != 0
        count = max(int(valid.sum()), 1)
        loss = float((np.log(total[:, 0]) - logits[rows, targets])[valid].sum()) / count
        dlogits = e / total
        dlogits[rows, targets] -= 1
        dlogits *= (valid / count).astype(self.dtype)[:, None]
        gw = dlogits.T @ n
        dx, gn = self.norm_back(x, self.head["n"], inv, dlogits @ self.head["w"])
        grads = []
        for p, cache in zip(reversed(self.blocks), reversed(caches)):
            dx, g = self.block_backward(p, cache, dx)
            grads.append([g[k] for k in p])
        gembedding = np.zeros_like(self.embedding)
        np.add.at(gembedding, tokens, dx)
        return loss, [gembedding] + [t for g in reversed(grads) for t in g] + [gn, gw]


def check():
    """Central differences in float64 on a micro network: the timed code computes real gradients."""
    c = dict(hidden=8, blocks=2, heads=4, kv_heads=2, ffn=12, context=5)
    model = Model(c, 2, 5, np.float64, seed=3)
    rng = np.random.default_rng(4)
    tokens = rng.integers(0, VOCABULARY, 10)
    targets = rng.integers(0, VOCABULARY, 10)
    targets[3] = 0
    _, grads = model.step(tokens, targets)
    worst = 0.0
    for param, grad in zip(model.parameters(), grads):
        flat, gflat = param.reshape(-1), grad.reshape(-1)
        for i in rng.choice(flat.size, min(flat.size, 10), replace=False):
            old = flat[i]
            flat[i] = old + 1e-6
            plus, _ = model.step(tokens, targets)
            flat[i] = old - 1e-6
            minus, _ = model.step(tokens, targets)
            flat[i] = old
            numeric = (plus - minus) / 2e-6
            worst = max(worst, abs(numeric - gflat[i]) / max(abs(numeric), abs(gflat[i]), 1e-6))
    print(f"numpy reference gradient check: worst relative error {worst:.2e}")
    return worst < 1e-5


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--batch", type=int, default=None, help="sequences per step (default: 1024 tokens)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    parser.add_argument("--check", action="store_true", help="verify the backward pass, then exit")
    args = parser.parse_args()
    if args.check:
        sys.exit(0 if check() else 1)

    c = PRESETS[args.preset]
    T = c["context"]
    batch = args.batch or max(1, 1024 // T)
    model = Model(c, batch, T, np.float32)
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, VOCABULARY, batch * T)
    targets = rng.integers(1, VOCABULARY, batch * T)
    model.step(tokens, targets)
    start = time.perf_counter()
    for _ in range(args.steps):
        model.step(tokens, targets)
    seconds = (time.perf_counter() - start) / args.steps
    work = flops(c, batch * T, T)
    result = dict(preset=args.preset, batch=batch, sequence=T, steps=args.steps, step_seconds=seconds,
                  tokens_per_second=batch * T / seconds, gflops=work / seconds / 1e9, numpy=np.__version__)
    print(f"numpy {np.__version__} {args.preset}: {seconds * 1e3:.1f} ms/step, "
          f"{result['tokens_per_second']:.0f} tokens/s, {result['gflops']:.1f} GFLOP/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
