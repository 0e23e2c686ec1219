"""Checkpoints in the engine's layout: weights and Adam's moments survive the trip exactly, so a
resumed run takes the same next step as an uninterrupted one."""
import os
import tempfile
import unittest

import torch

from seq2seq_torch.architectures import build_model
from seq2seq_torch.checkpoint import read_checkpoint, restore_optimizer, save_checkpoint
from seq2seq_torch.data import pad_batch
from seq2seq_torch.training import fresh_progress, loss_for_backward

EXAMPLES = [([4, 5, 6, 7], [5, 6, 7]), ([8, 9], [9, 8, 4, 5]), ([4, 4, 9, 8, 7], [6])]


def step(model, opt):
    src, lens, tgt_in, tgt_out, n = pad_batch(EXAMPLES, [0, 1, 2])
    scaled, _, _ = loss_for_backward(model, (src, lens, tgt_in, tgt_out), n, 1, 0.0)
    opt.zero_grad()
    scaled.backward()
    opt.step()


class CheckpointTests(unittest.TestCase):
    def test_resume_takes_the_same_next_step(self):
        for cell in ("lstm", "gru"):
            with self.subTest(cell=cell):
                m = dict(cell=cell, layers=2, bidirectional=True, emb=6, hidden=8, attention="luong", dropout=0.0)
                torch.manual_seed(5)
                a = build_model(m, 10, 12)
                opt_a = torch.optim.Adam([p for p in a.parameters() if p.requires_grad], lr=0.01)
                for _ in range(3):
                    step(a, opt_a)
                with tempfile.TemporaryDirectory() as d:
                    save_checkpoint(d, a, opt_a, dict(fresh_progress(0.01), step=3, optimizerStep=3), {"processes": 1})
                    self.assertEqual(sorted(os.listdir(os.path.join(d, "checkpoint"))), ["optimizer-3.bin", "state.json", "weights-3.bin"])
                    state, weights, moments = read_checkpoint(d)
                self.assertEqual(state["torch"], {"processes": 1})
                self.assertIn("m/decoder/l1/bias", moments)
                b = build_model(m, 10, 12)
                b.load_engine(weights)
                opt_b = torch.optim.Adam([p for p in b.parameters() if p.requires_grad], lr=0.01)
                restore_optimizer(b, opt_b, moments, state["optimizerStep"])
                step(a, opt_a)
                step(b, opt_b)
                for (n, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
                    self.assertTrue(torch.allclose(pa, pb, atol=1e-7, rtol=0), n)


if __name__ == "__main__":
    unittest.main()
