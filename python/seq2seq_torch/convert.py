"""
Our model folders to PyTorch checkpoints and back:

  python -m seq2seq_torch.convert to-torch MODEL FILE.pt     a torch.save'd dict: settings, tokenizers,
                                                            config, metrics and the module's state_dict
  python -m seq2seq_torch.convert from-torch FILE.pt MODEL   one of our model folders again (MODEL must be new)

The state_dict is the PyTorch module's own (PyTorch layouts and gate orders), so the file loads into
`seq2seq_torch.architectures.build_model(settings["model"], ...)` for use or fine-tuning in PyTorch.
"""
import argparse
import os
import time

import torch

from .folder import METRICS_FILE, read_json, write_model_folder
from .model_io import load_model, new_model

TORCH_FORMAT = "seq2seq-torch-model"


def to_torch(model_dir, path):
    model, cfg, toks = load_model(model_dir)
    mpath = os.path.join(model_dir, METRICS_FILE)
    metrics = read_json(mpath, "metrics.json") if os.path.exists(mpath) else None
    torch.save({"format": TORCH_FORMAT, "settings": cfg["settings"], "config": cfg, "tokenizers": toks,
                "metrics": metrics, "state_dict": model.state_dict()}, path)


def from_torch(path, model_dir):
    if os.path.exists(model_dir):
        raise SystemExit(f"{model_dir}: already exists; choose a new folder")
    blob = torch.load(path, map_location="cpu")
    if not isinstance(blob, dict) or blob.get("format") != TORCH_FORMAT:
        raise SystemExit(f"{path}: not a file written by `seq2seq_torch.convert to-torch` (format {TORCH_FORMAT!r})")
    model = new_model(blob["settings"], blob["tokenizers"])
    model.load_state_dict(blob["state_dict"])
    cfg = dict(blob["config"], settings=blob["settings"], updatedAt=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()))
    write_model_folder(model_dir, cfg, blob["tokenizers"], model.to_engine(), blob.get("metrics"))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m seq2seq_torch.convert", description=__doc__.strip().split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("to-torch", help="model folder -> .pt")
    a.add_argument("model")
    a.add_argument("file")
    b = sub.add_parser("from-torch", help=".pt -> model folder")
    b.add_argument("file")
    b.add_argument("model")
    args = p.parse_args(argv)
    if args.cmd == "to-torch":
        to_torch(args.model, args.file)
    else:
        from_torch(args.file, args.model)


if __name__ == "__main__":
    main()
