"""
Seq2Seq Studio's models in PyTorch.

- One definition of every architecture of the TypeScript engine (architectures/), whose weights map
  one to one to our model folders, read and written by folder.py.
- `python -m seq2seq_torch.train JOB --out MODEL` trains a job written by `seq2seq export-job`, on one
  process or many (torchrun: DistributedDataParallel), and writes one of our model folders.
- `python -m seq2seq_torch.decode` and `python -m seq2seq_torch.convert` decode with, and convert,
  model folders.

torch is the only dependency beyond the standard library (numpy comes with it).
"""
__version__ = "0.1.0"
