"""The Transformer's weight mapping (both directions), checked against the engine's equations
(src/model/network/transformer.ts) written out here on engine-layout weights; and its incremental
decoding (key/value caches, tile, reorder) against the full forward pass."""
import math
import unittest

import torch
import torch.nn.functional as F

from seq2seq_torch.architectures import build_model, model_from_engine

VARIANTS = [
    dict(positions="sinusoidal", tieEmbeddings=True, activation="relu"),
    dict(positions="learned", tieEmbeddings=False, activation="gelu"),
    dict(positions="learned", tieEmbeddings=True, activation="relu", sharedVocab=True),
]


def vocab_sizes(m):
    """A shared vocabulary has one size."""
    return (12, 12) if m.get("sharedVocab") else (10, 12)


def settings(**kw):
    return dict(dict(arch="transformer", dModel=16, heads=4, ff=24, encLayers=2, decLayers=2, dropout=0.0, attentionDropout=0.0, maxPositions=20), **kw)


def engine_forward(m, w, src, tgt_in):
    """The engine's teacher-forced logits: src [S,B], tgt_in [T,B] (0 = padding) -> [B,T,V]."""
    d, h = m["dModel"], m["heads"]
    dk = d // h

    def ln(x, name):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + 1e-5) * w[f"{name}/gamma"] + w[f"{name}/beta"]

    def lin(x, name):
        return x @ w[f"{name}/kernel"] + w[f"{name}/bias"]

    def heads(x):
        B, T, _ = x.shape
        return x.reshape(B, T, h, dk).permute(0, 2, 1, 3)

    def attend(q, k, v, bias):
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dk) + bias, -1)
        B, H, T, _ = p.shape
        return (p @ v).permute(0, 2, 1, 3).reshape(B, T, d)

    def positions(side, n):
        if m["positions"] == "learned":
            return w[f"{side}/positions"][:n]
        p = torch.arange(n, dtype=torch.float64)[:, None]
        i = torch.arange(0, d, 2, dtype=torch.float64)
        out = torch.zeros(n, d, dtype=torch.float64)
        out[:, 0::2] = torch.sin(p / 10000 ** (i / d))
        out[:, 1::2] = torch.cos(p / 10000 ** (i / d))
        return out.float()

    def ff(x, prefix):
        inner = lin(ln(x, f"{prefix}/ff_norm"), f"{prefix}/ff/inner")
        inner = F.gelu(inner) if m["activation"] == "gelu" else torch.relu(inner)
        return x + lin(inner, f"{prefix}/ff/outer")

    src, tgt = src.t(), tgt_in.t()
    B, S = src.shape
    T = tgt.shape[1]
    src_bias = torch.where(src == 0, -1e9, 0.0)[:, None, None, :]
    x = w["decoder/embedding" if m.get("sharedVocab") else "encoder/embedding"][src] * math.sqrt(d) + positions("encoder", S)
    for l in range(m["encLayers"]):
        p = f"encoder/l{l}"
        q, k, v = lin(ln(x, f"{p}/self_attention_norm"), f"{p}/self_attention/qkv").split(d, -1)
        x = x + lin(attend(heads(q), heads(k), heads(v), src_bias), f"{p}/self_attention/output")
        x = ff(x, p)
    memory = ln(x, "encoder/norm")
    causal = torch.triu(torch.full((T, T), -1e9), 1)[None, None] + torch.where(tgt == 0, -1e9, 0.0)[:, None, None, :]
    y = w["decoder/embedding"][tgt] * math.sqrt(d) + positions("decoder", T)
    for l in range(m["decLayers"]):
        p = f"decoder/l{l}"
        q, k, v = lin(ln(y, f"{p}/self_attention_norm"), f"{p}/self_attention/qkv").split(d, -1)
        y = y + lin(attend(heads(q), heads(k), heads(v), causal), f"{p}/self_attention/output")
        q = lin(ln(y, f"{p}/cross_attention_norm"), f"{p}/cross_attention/query")
        k, v = lin(memory, f"{p}/cross_attention/key_value").split(d, -1)
        y = y + lin(attend(heads(q), heads(k), heads(v), src_bias), f"{p}/cross_attention/output")
        y = ff(y, p)
    y = ln(y, "decoder/norm")
    out = w["decoder/embedding"].t() if m["tieEmbeddings"] else w["output/kernel"]
    return y @ out + w["output/bias"]


class TransformerTests(unittest.TestCase):
    def test_engine_names_and_shapes_follow_transformer_ts(self):
        m = build_model(settings(**VARIANTS[1]), 10, 12)
        shapes = {n: list(t.shape) for n, t in m.to_engine()}
        self.assertEqual(list(shapes)[:4], ["encoder/embedding", "encoder/positions", "encoder/l0/self_attention_norm/gamma", "encoder/l0/self_attention_norm/beta"])
        self.assertEqual(shapes["encoder/l1/self_attention/qkv/kernel"], [16, 48])
        self.assertEqual(shapes["decoder/l0/cross_attention/key_value/kernel"], [16, 32])
        self.assertEqual(shapes["decoder/l1/ff/inner/kernel"], [16, 24])
        self.assertEqual(list(shapes)[-2:], ["output/kernel", "output/bias"])
        tied = dict(build_model(settings(**VARIANTS[0]), 10, 12).to_engine())
        self.assertNotIn("output/kernel", tied)
        self.assertNotIn("encoder/positions", tied)
        shared = build_model(settings(**VARIANTS[2]), 12, 12)
        names = shared.engine_names()
        self.assertNotIn("encoder/embedding", names)
        self.assertEqual(names[0], "encoder/positions")
        self.assertIs(shared.src_emb, shared.tgt_emb)
        self.assertEqual(sum(p.numel() for p in shared.parameters()), sum(t.numel() for _, t in shared.to_engine()))
        with self.assertRaises(ValueError):
            build_model(settings(**VARIANTS[2]), 10, 12)

    def test_weights_round_trip_and_compute_the_engine_equations(self):
        torch.manual_seed(0)
        for variant in VARIANTS:
            with self.subTest(**variant):
                m = settings(**variant)
                w = {n: torch.randn(t.shape) * 0.3 for n, t in build_model(m, *vocab_sizes(m)).to_engine()}
                model = model_from_engine(m, *vocab_sizes(m), w).eval()
                back = dict(model.to_engine())
                for n, t in w.items():
                    self.assertTrue(torch.equal(back[n], t), n)
                src = torch.randint(4, 10, (5, 3))
                src[3:, 1] = 0  # padding
                tgt_in = torch.randint(4, 12, (4, 3))
                tgt_in[0] = 1
                tgt_out = torch.randint(4, 12, (4, 3))
                tgt_out[2:, 2] = 0
                tgt_in[3:, 2] = 0
                logits, ids = model(src, torch.tensor([5, 3, 5]), tgt_in, tgt_out)
                want = engine_forward(m, w, src, tgt_in)
                keep = (tgt_out != 0).t()
                self.assertLess((logits - want[keep]).abs().max().item(), 1e-4)
                self.assertTrue(torch.equal(ids, tgt_out.t()[keep]))

    def test_incremental_decoding_with_caches_equals_the_full_pass_and_reorders_with_the_beams(self):
        torch.manual_seed(1)
        for variant in VARIANTS:
            with self.subTest(**variant):
                m = settings(**variant)
                w = {n: torch.randn(t.shape) * 0.3 for n, t in build_model(m, *vocab_sizes(m)).to_engine()}
                model = model_from_engine(m, *vocab_sizes(m), w).eval()
                src = torch.randint(4, 10, (6, 2))
                src[4:, 1] = 0  # the memory's padding must be masked in every step's cross-attention
                tgt_in = torch.randint(4, 12, (5, 2))
                tgt_in[0] = 1
                full = F.log_softmax(engine_forward(m, w, src, tgt_in), -1)
                with torch.no_grad():
                    state = model.encode(src, torch.tensor([6, 4]))
                    for t in range(5):
                        lp, state = model.step(tgt_in[t], state)
                        self.assertLess((lp - full[:, t]).abs().max().item(), 1e-4, f"step {t}")
                    # Two beams of one input with different histories: swapping their caches (reorder) swaps what they predict next.
                    beams = model.tile(model.encode(src[:, :1], torch.tensor([6])), torch.tensor([0, 0]))
                    _, beams = model.step(torch.tensor([1, 1]), beams)
                    _, beams = model.step(torch.tensor([4, 7]), beams)
                    a, _ = model.step(torch.tensor([5, 5]), beams)
                    b, _ = model.step(torch.tensor([5, 5]), model.reorder(beams, torch.tensor([1, 0])))
                    self.assertGreater((a[0] - a[1]).abs().max().item(), 1e-3)
                    self.assertLess((b[0] - a[1]).abs().max().item(), 1e-6)
                    self.assertLess((b[1] - a[0]).abs().max().item(), 1e-6)

    def test_bad_weights_name_what_is_wrong(self):
        m = settings(**VARIANTS[0])
        w = dict(build_model(m, 10, 12).to_engine())
        bad = dict(w)
        del bad["decoder/norm/gamma"]
        with self.assertRaisesRegex(ValueError, "missing: decoder/norm/gamma"):
            model_from_engine(m, 10, 12, bad, where="M")
        bad = dict(w, **{"decoder/l0/cross_attention/key_value/kernel": torch.zeros(16, 30)})
        with self.assertRaisesRegex(ValueError, r"M: weight decoder/l0/cross_attention/key_value/kernel has shape \[16, 30\] but the settings need \[16, 32\]"):
            model_from_engine(m, 10, 12, bad, where="M")


if __name__ == "__main__":
    unittest.main()
