"""The weight mapping of every architecture, both directions, checked against the engine's equations
(src/model/network/rnn.ts, attention.ts) written out here on engine-layout weights."""
import unittest

import torch

from seq2seq_torch.architectures import ARCHITECTURES, build_model, model_from_engine

ARCHS = [
    dict(cell="lstm", layers=1, bidirectional=False, attention="none"),
    dict(cell="gru", layers=1, bidirectional=False, attention="none"),
    dict(cell="lstm", layers=2, bidirectional=True, attention="luong"),
    dict(cell="gru", layers=3, bidirectional=True, attention="bahdanau"),
    dict(cell="gru", layers=4, bidirectional=False, attention="luong"),
    dict(cell="lstm", layers=4, bidirectional=True, attention="bahdanau"),
]


def settings(**kw):
    return dict(dict(emb=6, hidden=8, dropout=0.0), **kw)


def engine_cell(cell, x, h, c, w):
    """One step of the engine's rnnStep on engine-layout weights (Keras gate orders)."""
    if cell == "lstm":
        z = x @ w["kernel"] + w["bias"] + h @ w["recurrent_kernel"]
        i, f, g, o = z.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    xw = x @ w["kernel"] + w["bias"][0]
    hw = h @ w["recurrent_kernel"] + w["bias"][1]
    xz, xr, xn = xw.chunk(3, dim=-1)
    hz, hr, hn = hw.chunk(3, dim=-1)
    z, r = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
    n = torch.tanh(xn + r * hn)
    return n + z * (h - n), None


def engine_forward(m, w, src, tgt_in):
    """The engine's teacher-forced logits for unpadded inputs: src [S,B], tgt_in [T,B] -> [B,T,V]."""
    x = w["encoder/embedding"][src]
    H = m["hidden"] // 2 if m["bidirectional"] else m["hidden"]
    finals = []
    for l in range(m["layers"]):
        outs = []
        for d in (["fwd", "bwd"] if m["bidirectional"] else ["fwd"]):
            p = {k: w[f"encoder/l{l}/{d}/{k}"] for k in ("kernel", "recurrent_kernel", "bias")}
            h = torch.zeros(src.shape[1], H)
            c = torch.zeros_like(h)
            seq = [None] * src.shape[0]
            steps = range(src.shape[0]) if d == "fwd" else reversed(range(src.shape[0]))
            for t in steps:
                h, c = engine_cell(m["cell"], x[t], h, c, p)
                seq[t] = h
            outs.append((torch.stack(seq), h, c))
        x = torch.cat([o[0] for o in outs], dim=-1)
        finals.append((torch.cat([o[1] for o in outs], -1), torch.cat([o[2] for o in outs], -1) if m["cell"] == "lstm" else None))
    y = w["decoder/embedding"][tgt_in]
    for l in range(m["layers"]):
        p = {k: w[f"decoder/l{l}/{k}"] for k in ("kernel", "recurrent_kernel", "bias")}
        h, c = finals[l]
        seq = []
        for t in range(tgt_in.shape[0]):
            h, c = engine_cell(m["cell"], y[t], h, c, p)
            seq.append(h)
        y = torch.stack(seq)
    q = y.transpose(0, 1)
    if m["attention"] != "none":
        values = x.transpose(0, 1)
        if m["attention"] == "luong":
            scores = q @ (values @ w["attention/W_a"]).transpose(1, 2)
        else:
            e = torch.tanh((q @ w["attention/W_query"]).unsqueeze(2) + (values @ w["attention/W_key"]).unsqueeze(1))
            scores = (e @ w["attention/v"]).squeeze(-1)
        ctx = torch.softmax(scores, -1) @ values
        q = torch.tanh(torch.cat([q, ctx], -1) @ w["attention/W_c"])
    return q @ w["output/kernel"] + w["output/bias"]


class ArchitectureTests(unittest.TestCase):
    def test_registry_defaults_to_rnn_and_names_unknown_architectures(self):
        self.assertIn("rnn", ARCHITECTURES)
        build_model(settings(**ARCHS[0]), 10, 12)
        self.assertIn("transformer", ARCHITECTURES)
        with self.assertRaisesRegex(ValueError, "settings.model.arch: unknown architecture 'mamba'"):
            build_model(settings(arch="mamba", **ARCHS[0]), 10, 12)

    def test_engine_names_and_shapes_follow_params_ts(self):
        m = build_model(settings(cell="gru", layers=2, bidirectional=True, attention="bahdanau"), 10, 12)
        shapes = {n: list(t.shape) for n, t in m.to_engine()}
        self.assertEqual(list(shapes)[:4], ["encoder/embedding", "encoder/l0/fwd/kernel", "encoder/l0/fwd/recurrent_kernel", "encoder/l0/fwd/bias"])
        self.assertEqual(shapes["encoder/l1/bwd/kernel"], [8, 12])
        self.assertEqual(shapes["encoder/l0/bwd/bias"], [2, 12])
        self.assertEqual(shapes["decoder/l1/recurrent_kernel"], [8, 24])
        self.assertEqual(shapes["attention/v"], [8, 1])
        self.assertEqual(shapes["attention/W_c"], [16, 8])
        self.assertEqual(list(shapes)[-2:], ["output/kernel", "output/bias"])

    def test_weights_round_trip_and_compute_the_engine_equations(self):
        torch.manual_seed(0)
        for arch in ARCHS:
            with self.subTest(**arch):
                m = settings(**arch)
                w = {n: torch.randn(t.shape) * 0.5 for n, t in build_model(m, 10, 12).to_engine()}
                model = model_from_engine(m, 10, 12, w).eval()
                back = dict(model.to_engine())
                for n, t in w.items():
                    self.assertTrue(torch.equal(back[n], t), n)
                src = torch.randint(4, 10, (5, 3))
                tgt_in = torch.randint(4, 12, (4, 3))
                tgt_out = torch.randint(4, 12, (4, 3))
                logits, _ = model(src, torch.tensor([5, 5, 5]), tgt_in, tgt_out)
                want = engine_forward(m, w, src, tgt_in).reshape(-1, 12)
                self.assertLess((logits - want).abs().max().item(), 1e-5)

    def test_bad_weights_name_what_is_wrong(self):
        m = settings(**ARCHS[2])
        w = dict(build_model(m, 10, 12).to_engine())
        bad = dict(w)
        del bad["attention/W_a"]
        with self.assertRaisesRegex(ValueError, "missing: attention/W_a"):
            model_from_engine(m, 10, 12, bad, where="M")
        bad = dict(w, **{"output/bias": torch.zeros(13)})
        with self.assertRaisesRegex(ValueError, r"M: weight output/bias has shape \[13\] but the settings need \[12\]"):
            model_from_engine(m, 10, 12, bad, where="M")

    def test_lstm_recurrent_bias_is_not_trained(self):
        model = build_model(settings(**ARCHS[0]), 10, 12)
        frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
        self.assertEqual(sorted(frozen), ["decoder.bias_hh_l0", "encoder.bias_hh_l0"])


if __name__ == "__main__":
    unittest.main()
