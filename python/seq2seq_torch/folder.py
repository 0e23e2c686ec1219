"""
Our model folder format, read and written without the TypeScript engine (see src/model/modelFolder.ts):

  model.json       TF.js layers-format artifacts: topology + weights manifest (the commit point of a save)
  weights.bin      float32 little-endian weights in manifest order
  tokenizers.json  source and target vocabularies (copied as they are: Python never tokenises)
  config.json      {formatVersion, settings, task, devMetric, dataFile, trainPairs, parameters, ...}
  metrics.json     history per epoch
  checkpoint/      training state to resume (see checkpoint.py)

Weights are exchanged as {engine name: float32 tensor in the engine's layout}; each architecture maps
them to and from its PyTorch parameters.
"""
import json
import os

import numpy as np
import torch

from .atomic import write_bytes_atomic, write_json_atomic

# 2: settings.model.arch and the Transformer's settings, the learning-rate schedule and Adam's betas (the engine's format 2;
# a format-1 folder is the recurrent model trained with a constant rate and betas 0.9 / 0.999).
FORMAT_VERSION = 2
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.bin"
TOKENIZERS_FILE = "tokenizers.json"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_DIR = "checkpoint"


class ModelFolderError(Exception):
    """A model folder (or one of its files) that cannot be used; the message names the file."""


def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ModelFolderError(f"{path}: {what} is missing ({e.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelFolderError(f"{path}: {what} is not valid JSON ({e.msg} at line {e.lineno})") from None


def inside(folder, name):
    """folder/name, refusing names that would leave the folder (a manifest is data, not a path to trust)."""
    base = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([base, path]) != base:
        raise ModelFolderError(f"{os.path.join(folder, name)}: leaves the folder {folder}")
    return path


def read_config(folder):
    if not os.path.isdir(folder):
        raise ModelFolderError(f"{folder}: no such model folder")
    path = os.path.join(folder, CONFIG_FILE)
    cfg = read_json(path, "the model configuration (config.json)")
    if not isinstance(cfg, dict) or not isinstance(cfg.get("formatVersion"), int) or not isinstance(cfg.get("settings"), dict):
        raise ModelFolderError(f"{path}: not a Seq2Seq model configuration (needs formatVersion and settings)")
    if cfg["formatVersion"] > FORMAT_VERSION:
        raise ModelFolderError(f"{path}: format {cfg['formatVersion']} is newer than this package reads ({FORMAT_VERSION})")
    return cfg


def read_weight_blob(folder, specs, data, where):
    """Splits float32 bytes into named tensors by manifest entries [{name, shape}], checking the size."""
    expected = sum(int(np.prod(s["shape"], dtype=np.int64)) for s in specs) * 4
    if len(data) != expected:
        raise ModelFolderError(f"{where}: weights are truncated or do not match the manifest (expected {expected} bytes, found {len(data)})")
    flat = np.frombuffer(data, dtype="<f4")
    out, off = {}, 0
    for s in specs:
        if s.get("dtype", "float32") != "float32":
            raise ModelFolderError(f"{where}: weight {s.get('name')} has dtype {s.get('dtype')}; only float32 is read")
        n = int(np.prod(s["shape"], dtype=np.int64))
        out[s["name"]] = torch.from_numpy(flat[off:off + n].reshape(s["shape"]).copy())
        off += n
    return out


def read_weights(folder):
    """{engine weight name: float32 tensor} from model.json's manifest and its weight files."""
    path = os.path.join(folder, MODEL_FILE)
    if not os.path.exists(path) and os.path.isdir(os.path.join(folder, CHECKPOINT_DIR)):
        raise ModelFolderError(f"{folder}: training has not saved a model yet; only a checkpoint exists")
    manifest = read_json(path, "the model file (model.json)").get("weightsManifest")
    if not isinstance(manifest, list):
        raise ModelFolderError(f"{path}: has no weightsManifest; not a TF.js layers model")
    specs, blobs = [], []
    for group in manifest:
        specs.extend(group.get("weights", []))
        for p in group.get("paths", []):
            file = inside(folder, p)
            if not os.path.exists(file):
                raise ModelFolderError(f"{file}: weights file is missing")
            with open(file, "rb") as f:
                blobs.append(f.read())
    return read_weight_blob(folder, specs, b"".join(blobs), folder)


def pack_weights(named):
    """[(name, tensor)] -> (manifest entries, float32 little-endian bytes) in that order."""
    specs, parts = [], []
    for name, t in named:
        a = t.detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4", copy=False)
        specs.append({"name": name, "shape": list(a.shape), "dtype": "float32"})
        parts.append(a.tobytes())
    return specs, b"".join(parts)


def read_model_folder(folder):
    """(config, tokenizers, weights) of one of our model folders; ModelFolderError names what is wrong."""
    cfg = read_config(folder)
    toks = read_json(os.path.join(folder, TOKENIZERS_FILE), "the tokenizers (tokenizers.json)")
    for side in ("source", "target"):
        if not isinstance(toks.get(side), dict) or not isinstance(toks[side].get("tokens"), list):
            raise ModelFolderError(f"{os.path.join(folder, TOKENIZERS_FILE)}: {side} vocabulary is missing or malformed")
    return cfg, toks, read_weights(folder)


def write_meta(folder, config, tokenizers):
    """tokenizers.json and config.json: enough to recognise the folder (and resume it)."""
    os.makedirs(folder, exist_ok=True)
    write_json_atomic(os.path.join(folder, TOKENIZERS_FILE), tokenizers)
    write_json_atomic(os.path.join(folder, CONFIG_FILE), config)


def write_weights(folder, named, model_settings, vocab_sizes):
    """weights.bin, then model.json (the commit point: a reader never sees a manifest without its weights)."""
    specs, data = pack_weights(named)
    write_bytes_atomic(os.path.join(folder, WEIGHTS_FILE), data)
    write_json_atomic(os.path.join(folder, MODEL_FILE), {
        "format": "layers-model",
        "generatedBy": "seq2seq-torch",
        "convertedBy": None,
        "modelTopology": {
            "class_name": "Seq2SeqStudio",
            "config": {**model_settings, "source_vocab": vocab_sizes[0], "target_vocab": vocab_sizes[1]},
            "keras_version": "seq2seq-studio-1",
            "backend": "pytorch",
        },
        "weightsManifest": [{"paths": [WEIGHTS_FILE], "weights": specs}],
    })


def write_model_folder(folder, config, tokenizers, named_weights, metrics=None):
    """A whole model folder. A new folder is built as a temporary sibling and renamed into place."""
    m = config["settings"]["model"]
    sizes = (len(tokenizers["source"]["tokens"]), len(tokenizers["target"]["tokens"]))
    target = os.path.abspath(folder)
    fresh = not os.path.exists(target)
    work = target + f".{os.getpid()}.tmp" if fresh else target
    write_meta(work, config, tokenizers)
    write_weights(work, named_weights, m, sizes)
    if metrics is not None:
        write_json_atomic(os.path.join(work, METRICS_FILE), metrics)
    if fresh:
        os.replace(work, target)
