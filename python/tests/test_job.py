"""Reading a training job: bad input is an error naming the file, field or line; file names in
job.json cannot lead outside the job folder."""
import json
import os
import tempfile
import unittest

from seq2seq_torch.data import pad_batch, target_tokens
from seq2seq_torch.job import JobError, read_job
from seq2seq_torch.vocab import BOS, EOS, PAD

SETTINGS = {"model": {"cell": "lstm", "layers": 1, "bidirectional": False, "emb": 4, "hidden": 8, "attention": "none", "dropout": 0},
            "train": {"batch": 2, "lr": 0.01, "epochs": 1, "seed": 1, "maxLen": 10, "clipNorm": 5},
            "source": {"kind": "char"}, "target": {"kind": "char"}}
VOCAB = {"kind": "char", "tokens": ["<pad>", "<s>", "</s>", "<unk>", "a", "b"]}


def write_job(d, meta=None, train='{"src": [4, 5], "tgt": [5]}\n'):
    job = {"format": "seq2seq-training-job", "formatVersion": 1, "settings": SETTINGS,
           "files": {"tokenizers": "tokenizers.json", "train": "train.jsonl"}}
    job.update(meta or {})
    with open(os.path.join(d, "job.json"), "w") as f:
        json.dump(job, f)
    with open(os.path.join(d, "tokenizers.json"), "w") as f:
        json.dump({"source": VOCAB, "target": VOCAB}, f)
    with open(os.path.join(d, "train.jsonl"), "w") as f:
        f.write(train)


class JobTests(unittest.TestCase):
    def test_a_valid_job_reads(self):
        with tempfile.TemporaryDirectory() as d:
            write_job(d)
            job = read_job(d)
            self.assertEqual(job.train, [([4, 5], [5], False)])
            self.assertEqual(job.dev, [])

    def test_an_open_generation_chunk_learns_no_end_of_text(self):
        # The engine writes "open": true on a chunk that does not end its file; </s> must then mean the end of the text.
        with tempfile.TemporaryDirectory() as d:
            write_job(d, train='{"src": [4], "tgt": [5, 4], "open": true}\n{"src": [4], "tgt": [5, 4]}\n')
            job = read_job(d)
            self.assertEqual([ex[2] for ex in job.train], [True, False])
            _, _, tgt_in, tgt_out, tokens = pad_batch(job.train, [0, 1])
            self.assertEqual(tgt_out[:, 0].tolist(), [5, 4, PAD])
            self.assertEqual(tgt_out[:, 1].tolist(), [5, 4, EOS])
            self.assertEqual(tgt_in[:, 0].tolist(), [BOS, 5, 4])
            self.assertEqual(tokens, 5)
            self.assertEqual([target_tokens(ex) for ex in job.train], [2, 3])
        with tempfile.TemporaryDirectory() as d:
            write_job(d, train='{"src": [4], "tgt": [5], "open": "yes"}\n')
            with self.assertRaisesRegex(JobError, r"train\.jsonl: line 1: \"open\" must be true or false"):
                read_job(d)

    def test_errors_name_the_file_field_or_line(self):
        cases = [
            ({"format": "something"}, None, r"job\.json: not a Seq2Seq training job"),
            ({"settings": dict(SETTINGS, train={"batch": 2})}, None, r"job\.json: settings\.train\.lr must be a number"),
            ({"files": {"tokenizers": "tokenizers.json", "train": "../train.jsonl"}}, None, r"files\.train must be a file name inside the job folder"),
            (None, '{"src": [4], "tgt": [5]}\nnot json\n', r"train\.jsonl: line 2: expected a JSON object"),
            (None, '{"src": [4, 6], "tgt": [5]}\n', r"train\.jsonl: line 1: \"src\" must be ids below the vocabulary size 6"),
        ]
        for meta, train, pattern in cases:
            with self.subTest(pattern=pattern), tempfile.TemporaryDirectory() as d:
                write_job(d, meta, train if train is not None else '{"src": [4, 5], "tgt": [5]}\n')
                with self.assertRaisesRegex(JobError, pattern):
                    read_job(d)


if __name__ == "__main__":
    unittest.main()
