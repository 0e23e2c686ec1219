"""
The training loop for one process of a (possibly distributed) run. Every process runs the same
steps in the same order; DistributedDataParallel all-reduces the gradients; losses, token counts and
dev metrics are all-reduced as sums; rank 0 alone writes the model folder and checkpoints.

The batch of settings.train.batch pairs is the global batch: each of the W processes takes
batch / W of it, and each process's loss is its token-loss sum over the whole batch's token count
(times W, since DDP averages), so a step's gradient is that of the whole batch's mean loss, as a
single process (or the engine) would compute it. Progress goes out through `on_event` callbacks.
"""
import math
import os
import time

import torch
from torch.nn.parallel import DistributedDataParallel

from .architectures import arch_of
from .atomic import remove_stale_temp_files, write_json_atomic
from .checkpoint import has_checkpoint, read_checkpoint, restore_optimizer, save_checkpoint
from .data import pad_batch, process_batches, steps_per_epoch
from .evaluation import dev_metrics, dev_sums
from .folder import FORMAT_VERSION, METRICS_FILE, read_json, write_meta, write_weights
from .loss import token_loss_sum
from .model_io import new_model


def dev_score(metric, dev, train_loss):
    """The engine's rule (src/model/training/run.ts): the task's metric decides, dev loss breaks ties."""
    if dev is None:
        return -train_loss
    main = -(dev["per"] + dev["wer"] / 10) if metric == "per" else dev["bleu"] + dev["chrf"] / 10
    return main - dev["loss"] * 1e-3


def fresh_progress(lr):
    return {"epoch": 0, "step": 0, "stepInEpoch": 0, "optimizerStep": 0, "lr": lr, "bestScore": None,
            "plateauBest": None, "badEpochs": 0, "lrBadEpochs": 0, "elapsedMs": 0}


class Options:
    """What the command line decides beyond the job's settings."""

    def __init__(self, out, resume=False, max_steps=0, checkpoint_steps=0, checkpoint_minutes=1.0, amp="off",
                 max_dev_decode=1000):
        self.out, self.resume, self.max_steps = out, resume, max_steps
        self.checkpoint_steps, self.checkpoint_minutes, self.amp = checkpoint_steps, checkpoint_minutes, amp
        self.max_dev_decode = max_dev_decode


def loss_for_backward(model, batch_tensors, total_tokens, world, label_smoothing):
    """(scaled loss to call backward on, local loss sum, local correct count) for one process's rows."""
    src, lens, tgt_in, tgt_out = batch_tensors
    logits, targets = model(src, lens, tgt_in, tgt_out)
    loss_sum, correct = token_loss_sum(logits, targets, label_smoothing)
    return loss_sum * (world / max(total_tokens, 1)), loss_sum.detach(), correct


def train(job, dist, opts, on_event):
    settings = job.settings
    tr = settings["train"]
    out = os.path.abspath(opts.out)
    # Rank 0 decides (other machines need not see MODEL) and tells the others.
    decision = None
    if dist.is_main:
        found = has_checkpoint(out)
        if opts.resume and not found:
            decision = f"{out}: there is no checkpoint to resume from"
        elif not opts.resume and dist.restart == 0 and os.path.exists(os.path.join(out, "config.json")):
            decision = f"{out}: already holds a model; pass --resume to continue it, or choose another --out"
        else:
            decision = found  # --resume, or torchrun restarted this worker (or nothing to resume yet)
    decision = dist.broadcast(decision)
    if isinstance(decision, str):
        raise SystemExit(decision)
    resuming = decision
    torch.manual_seed(tr["seed"])
    model = new_model(settings, job.tokenizers)
    torch.manual_seed(tr["seed"] * 1000 + dist.rank + 1)  # dropout masks differ between processes
    progress, torch_state, metrics_file = fresh_progress(tr["lr"]), {}, {"history": [], "best": None, "steps": 0, "elapsedMs": 0}
    restored = None
    if resuming and dist.is_main:
        remove_stale_temp_files(out)
        remove_stale_temp_files(os.path.join(out, "checkpoint"))
        restored = read_checkpoint(out)
        mpath = os.path.join(out, METRICS_FILE)
        if os.path.exists(mpath):
            metrics_file = read_json(mpath, "the metrics history (metrics.json)")
    restored = dist.broadcast(restored)
    if restored is not None:
        state, weights, moments = restored
        model.load_engine(weights, where=os.path.join(out, "checkpoint"))
        progress = {k: state[k] for k in fresh_progress(0)}
        torch_state = state.get("torch") or {}
    model.to(dist.device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=progress["lr"], betas=(0.9, 0.999), eps=1e-8)
    if restored is not None:
        restore_optimizer(model, optimizer, restored[2], progress["optimizerStep"])
    amp = opts.amp if dist.device.type == "cuda" else "off"
    if opts.amp != "off" and amp == "off":
        raise SystemExit("--amp needs a GPU (mixed precision on the CPU is slower, not faster)")
    amp_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(amp)
    scaler = torch.cuda.amp.GradScaler(enabled=amp == "fp16")
    if torch_state.get("scaler") and amp == "fp16":
        scaler.load_state_dict(torch_state["scaler"])
    net = DistributedDataParallel(model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None) if dist.active else model

    world = dist.world
    per_process = max(1, tr["batch"] // world)
    lengths = [(len(s), len(t)) for s, t in job.train]
    n_steps = steps_per_epoch(len(job.train), per_process, world)
    if progress["stepInEpoch"] and (torch_state.get("processes") != world or torch_state.get("batchPerProcess") != per_process):
        # The batches of an epoch depend on the number of processes: start the interrupted epoch over.
        on_event({"kind": "note", "text": f"resuming with {world} processes x {per_process} (checkpoint: {torch_state.get('processes')} x {torch_state.get('batchPerProcess')}): epoch {progress['epoch'] + 1} starts over"})
        progress["stepInEpoch"] = 0
    meta = job.meta
    parameters = sum(t.numel() for _, t in model.to_engine())
    created = meta.get("createdAt")
    config = {
        "formatVersion": FORMAT_VERSION, "settings": settings, "task": meta.get("task", "pairs"), "devMetric": meta.get("devMetric", "bleu"),
        "dataFile": meta.get("dataFile", ""), "trainPairs": len(job.train), "parameters": parameters,
        "createdAt": created, "updatedAt": created, "trainedWith": {"engine": "pytorch", "torch": torch.__version__, "processes": world, "device": dist.device.type},
    }
    if meta.get("devFile"):
        config["devFile"] = meta["devFile"]
    if dist.is_main:
        write_meta(out, config, job.tokenizers)

    sizes = (len(job.tokenizers["source"]["tokens"]), len(job.tokenizers["target"]["tokens"]))
    def save_model():
        config["updatedAt"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        write_meta(out, config, job.tokenizers)
        write_weights(out, model.to_engine(), settings["model"], sizes)

    def checkpoint():
        save_checkpoint(out, model, optimizer, dict(progress, elapsedMs=elapsed()),
                        {"processes": world, "batchPerProcess": per_process, "arch": arch_of(settings["model"]), "scaler": scaler.state_dict() if scaler.is_enabled() else None})

    budget_s = tr["minutes"] * 60 if tr.get("minutes") else math.inf
    before_ms = progress["elapsedMs"]
    run_start = time.time()
    elapsed = lambda: before_ms + (time.time() - run_start) * 1000
    last_ck, last_ck_step = time.time(), progress["step"]
    on_event({"kind": "start", "processes": world, "backend": dist.backend, "device": str(dist.device), "batchPerProcess": per_process,
              "globalBatch": per_process * world, "stepsPerEpoch": n_steps, "parameters": parameters, "trainPairs": len(job.train),
              "devPairs": len(job.dev), "resumedFrom": {"epoch": progress["epoch"], "step": progress["step"]} if restored is not None else None,
              "restart": dist.restart})
    reason = "completed"
    samples_done = tokens_done = 0
    train_secs = 0.0
    best_dev = (metrics_file.get("best") or {}).get("dev")
    max_len_decode = tr["maxLen"] + 2
    ls = tr.get("labelSmoothing", 0) or 0
    epoch = progress["epoch"]
    while epoch < tr["epochs"]:
        batches = process_batches(lengths, per_process, tr["seed"], epoch, world, dist.rank)
        sums = [0.0, 0.0, 0.0]  # loss, correct, tokens of this epoch (this process)
        win = {"time": time.time(), "loss": 0.0, "correct": 0.0, "tokens": 0.0, "samples": 0.0}
        stop = False
        for bi in range(progress["stepInEpoch"], len(batches)):
            if opts.max_steps and progress["step"] >= opts.max_steps:
                reason, stop = "max-steps", True
                break
            t0 = time.time()
            src, lens, tgt_in, tgt_out, ntok = pad_batch(job.train, batches[bi], dist.device)
            # One small all-reduce: the whole batch's token count, and rank 0's verdict on the time budget.
            total, over = dist.sum([ntok, 1.0 if (dist.is_main and elapsed() >= budget_s * 1000) else 0.0])
            if over > 0:
                reason, stop = "time-budget", True
                break
            net.train()
            with torch.autocast(device_type=dist.device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                scaled, loss_sum, correct = loss_for_backward(net, (src, lens, tgt_in, tgt_out), total, world, ls)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(scaled).backward()
            scaler.unscale_(optimizer)
            if tr.get("clipNorm", 0) > 0:
                torch.nn.utils.clip_grad_norm_(trainable, tr["clipNorm"])
            scaler.step(optimizer)
            scaler.update()
            progress["step"] += 1
            progress["stepInEpoch"] = bi + 1
            progress["optimizerStep"] += 1
            l, c = loss_sum.item(), float(correct.item())
            sums[0] += l; sums[1] += c; sums[2] += ntok
            win["loss"] += l; win["correct"] += c; win["tokens"] += ntok; win["samples"] += len(batches[bi])
            samples_done += len(batches[bi]); tokens_done += ntok
            train_secs += time.time() - t0
            if progress["step"] % tr.get("logEvery", 10) == 0 or bi == len(batches) - 1:
                wl, wc, wt, ws = dist.sum([win["loss"], win["correct"], win["tokens"], win["samples"]])
                secs = max(1e-3, time.time() - win["time"])
                on_event({"kind": "step", "epoch": epoch + 1, "step": progress["step"], "stepInEpoch": bi + 1, "stepsPerEpoch": n_steps,
                          "loss": wl / wt if wt else 0.0, "accuracy": 100 * wc / wt if wt else 0.0, "lr": optimizer.param_groups[0]["lr"],
                          "samplesPerSec": ws / secs, "targetTokensPerSec": wt / secs, "elapsedMs": elapsed()})
                win = {"time": time.time(), "loss": 0.0, "correct": 0.0, "tokens": 0.0, "samples": 0.0}
            due = (opts.checkpoint_steps and progress["step"] - last_ck_step >= opts.checkpoint_steps) or \
                  (opts.checkpoint_minutes and time.time() - last_ck >= opts.checkpoint_minutes * 60)
            if due and dist.is_main:
                progress["epoch"] = epoch
                checkpoint()
                on_event({"kind": "checkpoint", "step": progress["step"]})
            if due:
                last_ck, last_ck_step = time.time(), progress["step"]
        complete = progress["stepInEpoch"] >= len(batches)
        progress["epoch"], progress["stepInEpoch"] = (epoch + 1, 0) if complete else (epoch, progress["stepInEpoch"])
        loss_all, correct_all, tokens_all = dist.sum(sums)
        if tokens_all == 0 and not complete:
            if dist.is_main:
                checkpoint()
            break
        train_loss = loss_all / tokens_all if tokens_all else 0.0
        dev = None
        samples = []
        if job.dev:
            local, samples = dev_sums(model, job.dev, opts.max_dev_decode, max_len_decode, job.tokenizers["target"], max(64, per_process), dist.device, world, dist.rank)
            dev = dev_metrics(dist.sum(local))
        score = dev_score(config["devMetric"], dev, train_loss)
        is_best = progress["bestScore"] is None or score > progress["bestScore"]
        if is_best:
            progress["bestScore"], best_dev = score, dev
            if dist.is_main:
                save_model()
        if complete:
            # Plateaus are judged on whole epochs by the all-reduced dev loss: every process decides alike.
            plateau = -(dev["loss"] if dev else train_loss)
            if progress["plateauBest"] is None or plateau > progress["plateauBest"] + 1e-4:
                progress["plateauBest"], progress["badEpochs"], progress["lrBadEpochs"] = plateau, 0, 0
            else:
                progress["badEpochs"] += 1
                progress["lrBadEpochs"] += 1
                if tr.get("lrPatience", 0) > 0 and progress["lrBadEpochs"] >= tr["lrPatience"]:
                    for g in optimizer.param_groups:
                        g["lr"] = max(g["lr"] * 0.5, 1e-5)
                    progress["lrBadEpochs"] = 0
        progress["lr"] = optimizer.param_groups[0]["lr"]
        event = {"kind": "epoch", "epoch": epoch + 1, "epochs": tr["epochs"], "step": progress["step"], "trainLoss": train_loss,
                 "trainAccuracy": 100 * correct_all / tokens_all if tokens_all else 0.0, "dev": dev, "samples": samples,
                 "lr": progress["lr"], "elapsedMs": elapsed(), "isBest": is_best, "checkpointSaved": True}
        if dist.is_main:
            checkpoint()
            last_ck, last_ck_step = time.time(), progress["step"]
            metrics_file["history"].append(event)
            if is_best:
                metrics_file["best"] = {"epoch": epoch + 1, "dev": dev}
            metrics_file["steps"], metrics_file["elapsedMs"] = progress["step"], elapsed()
            write_json_atomic(os.path.join(out, METRICS_FILE), metrics_file)
        on_event(event)
        if stop:
            break
        if complete and tr.get("patience", 0) > 0 and progress["badEpochs"] >= tr["patience"]:
            reason = "early-stopping"
            break
        epoch += 1
    total_samples, total_tokens = dist.sum([samples_done, tokens_done])
    wall = max(1e-3, time.time() - run_start)
    end = {"kind": "end", "reason": reason, "model": out, "epochs": progress["epoch"], "steps": progress["step"],
           "elapsedMs": elapsed(), "processes": world, "samplesPerSec": total_samples / wall, "targetTokensPerSec": total_tokens / wall,
           "trainSamplesPerSec": total_samples / max(1e-3, train_secs), "bestDev": best_dev}
    on_event(end)
    return end
