"""DDP math and the data split: one step's gradient on two Gloo processes (DistributedDataParallel,
each with its half of the batch) equals the single-process gradient of the whole batch."""
import os
import socket
import tempfile
import unittest

import torch
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from seq2seq_torch.architectures import build_model
from seq2seq_torch.data import pad_batch, process_batches, steps_per_epoch
from seq2seq_torch.distributed import Distributed
from seq2seq_torch.training import loss_for_backward

SETTINGS = dict(cell="gru", layers=2, bidirectional=True, emb=6, hidden=8, attention="bahdanau", dropout=0.0)
LABEL_SMOOTHING = 0.1


def examples():
    g = torch.Generator().manual_seed(3)
    # Lengths differ a lot between the two halves, so a per-process mean would weight tokens wrongly.
    out = []
    for i in range(12):
        n = 2 + (i % 2) * 6 + int(torch.randint(0, 3, (1,), generator=g))
        out.append(([int(x) for x in torch.randint(4, 10, (n,), generator=g)], [int(x) for x in torch.randint(4, 12, (n + i % 3,), generator=g)]))
    return out


def fresh_model():
    torch.manual_seed(11)
    return build_model(SETTINGS, 10, 12)


def grads_of(model):
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def rank_main(rank, port, out_dir):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", LOCAL_WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist = Distributed("cpu")
    ex = examples()
    mine = list(range(rank, len(ex), 2))
    src, lens, tgt_in, tgt_out, ntok = pad_batch(ex, mine)
    total = dist.sum([ntok])[0]
    net = DistributedDataParallel(fresh_model())
    scaled, _, _ = loss_for_backward(net, (src, lens, tgt_in, tgt_out), total, dist.world, LABEL_SMOOTHING)
    scaled.backward()
    torch.save(grads_of(net.module), os.path.join(out_dir, f"grads-{rank}.pt"))
    dist.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DistributedTests(unittest.TestCase):
    def test_two_process_gradient_equals_whole_batch_gradient(self):
        ex = examples()
        model = fresh_model()
        src, lens, tgt_in, tgt_out, ntok = pad_batch(ex, list(range(len(ex))))
        scaled, _, _ = loss_for_backward(model, (src, lens, tgt_in, tgt_out), ntok, 1, LABEL_SMOOTHING)
        scaled.backward()
        want = grads_of(model)
        with tempfile.TemporaryDirectory() as d:
            mp.spawn(rank_main, args=(free_port(), d), nprocs=2, join=True)
            g0, g1 = (torch.load(os.path.join(d, f"grads-{r}.pt")) for r in (0, 1))
        self.assertEqual(set(g0), set(want))
        # Float32 sums in another order: compared at 1e-5 of the largest gradient entry of the model.
        scale = max(g.abs().max().item() for g in want.values())
        for n in want:
            self.assertTrue(torch.equal(g0[n], g1[n]), f"{n}: the processes' gradients differ after all-reduce")
            self.assertLess((g0[n] - want[n]).abs().max().item(), 1e-5 * scale, n)

    def test_process_batches_split_an_epoch_into_equal_disjoint_shares(self):
        lengths = [(i % 7 + 1, i % 5 + 1) for i in range(103)]
        shares = [process_batches(lengths, 8, seed=1, epoch=0, world=2, rank=r) for r in (0, 1)]
        self.assertEqual(len(shares[0]), len(shares[1]))
        self.assertEqual(len(shares[0]), steps_per_epoch(103, 8, 2))
        seen = [sorted(i for b in s for i in b) for s in shares]
        self.assertEqual(len(seen[0]), 52)
        self.assertEqual(len(set(seen[0]) | set(seen[1])), 103)
        self.assertLessEqual(len(set(seen[0]) & set(seen[1])), 1)  # DistributedSampler pads with one repeat
        self.assertEqual(shares[0], process_batches(lengths, 8, seed=1, epoch=0, world=2, rank=0))
        self.assertNotEqual(shares[0], process_batches(lengths, 8, seed=1, epoch=1, world=2, rank=0))
        for b in shares[0]:
            self.assertLessEqual(len(b), 8)


if __name__ == "__main__":
    unittest.main()
