"""
Checkpoints in the engine's layout (src/model/storage/store.ts), so that a run stopped anywhere can
be resumed here or by the engine: checkpoint/weights-N.bin and optimizer-N.bin (Adam's moments as
m/<weight> and v/<weight>, in the engine's layout), then state.json, the commit point, written last;
older files are removed after it. Each file is written atomically; a crash at any moment leaves the
previous checkpoint whole. PyTorch-only state (process count, loss scaler) rides in state.json's
"torch" entry, which the engine ignores.
"""
import os

import torch

from .atomic import write_bytes_atomic, write_json_atomic
from .folder import CHECKPOINT_DIR, FORMAT_VERSION, ModelFolderError, inside, pack_weights, read_json, read_weight_blob

STATE_FILE = "state.json"


def has_checkpoint(model_dir):
    return os.path.exists(os.path.join(model_dir, CHECKPOINT_DIR, STATE_FILE))


def _moments(model, optimizer):
    """[(m/name, tensor), (v/name, tensor), ...] in the engine's weight order; empty before the first step."""
    params = dict(model.named_parameters())
    m, v = {}, {}
    for name, p in params.items():
        st = optimizer.state.get(p)
        if st and "exp_avg" in st:
            m[name], v[name] = st["exp_avg"].detach(), st["exp_avg_sq"].detach()
    if not m:
        return []
    out = []
    for (name, mt), (_, vt) in zip(model.to_engine(m), model.to_engine(v)):
        out += [(f"m/{name}", mt), (f"v/{name}", vt)]
    return out


def save_checkpoint(model_dir, model, optimizer, progress, torch_state):
    cdir = os.path.join(model_dir, CHECKPOINT_DIR)
    os.makedirs(cdir, exist_ok=True)
    w_specs, w_data = pack_weights(model.to_engine())
    o_specs, o_data = pack_weights(_moments(model, optimizer))
    weights_file, optimizer_file = f"weights-{progress['step']}.bin", f"optimizer-{progress['step']}.bin"
    write_bytes_atomic(os.path.join(cdir, weights_file), w_data)
    write_bytes_atomic(os.path.join(cdir, optimizer_file), o_data)
    write_json_atomic(os.path.join(cdir, STATE_FILE), {
        "formatVersion": FORMAT_VERSION, **progress, "weightsFile": weights_file, "optimizerFile": optimizer_file,
        "weightSpecs": w_specs, "optimizerSpecs": o_specs, "torch": torch_state,
    })
    for f in os.listdir(cdir):
        if f.endswith(".bin") and f not in (weights_file, optimizer_file):
            os.remove(os.path.join(cdir, f))


def read_checkpoint(model_dir):
    """(state, engine weights, engine optimizer tensors {"m/name"|"v/name": tensor})."""
    cdir = os.path.join(model_dir, CHECKPOINT_DIR)
    state = read_json(os.path.join(cdir, STATE_FILE), "the checkpoint state (checkpoint/state.json)")
    def blob(file_key, specs_key):
        path = inside(cdir, state[file_key])
        if not os.path.exists(path):
            raise ModelFolderError(f"{path}: checkpoint file is missing")
        with open(path, "rb") as f:
            return read_weight_blob(cdir, state[specs_key], f.read(), path)
    return state, blob("weightsFile", "weightSpecs"), blob("optimizerFile", "optimizerSpecs")


def restore_optimizer(model, optimizer, engine_tensors, step):
    """Adam's moments from engine-layout m/ and v/ tensors; the step count as the engine counts it."""
    if not engine_tensors:
        return
    m = model.from_engine({k[2:]: t for k, t in engine_tensors.items() if k.startswith("m/")})
    v = model.from_engine({k[2:]: t for k, t in engine_tensors.items() if k.startswith("v/")})
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        optimizer.state[p] = {
            "step": torch.tensor(float(step)),
            "exp_avg": m[name].to(p.device, p.dtype).clone(),
            "exp_avg_sq": v[name].to(p.device, p.dtype).clone(),
        }
