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
from .data import pad_batch, process_batches, steps_per_epoch, target_tokens
from .evaluation import dev_metrics, dev_sums
from .folder import FORMAT_VERSION, METRICS_FILE, read_json, write_meta, write_weights
from .loss import token_loss_sum
from .model_io import new_model
from .schedule import FORMAT1_ADAM, adam_settings, lr_factor


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

    def __init__(self, out, resume=False, max_steps=0, checkpoint_steps=0, checkpoint_minutes=1.0, amp="off", max_dev_decode=1000):
        self.out, self.resume, self.max_steps = out, resume, max_steps
        self.checkpoint_steps, self.checkpoint_minutes, self.amp = checkpoint_steps, checkpoint_minutes, amp
        self.max_dev_decode = max_dev_decode


def loss_for_backward(model, batch_tensors, total_tokens, world, label_smoothing):
    """(scaled loss to call backward on, local loss sum, local correct count) for one process's rows."""
    src, lens, tgt_in, tgt_out = batch_tensors
    logits, targets = model(src, lens, tgt_in, tgt_out)
    loss_sum, correct = token_loss_sum(logits, targets, label_smoothing)
    return loss_sum * (world / max(total_tokens, 1)), loss_sum.detach(), correct


def resume_decision(out, opts, dist):
    """Whether to resume from MODEL's checkpoint; rank 0 decides (other machines need not see MODEL)."""
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
    return decision


def model_config(job, settings, parameters, dist):
    """config.json of the model folder: the engine's fields, plus how it was trained."""
    meta = job.meta
    config = {
        "formatVersion": FORMAT_VERSION, "settings": settings, "task": meta.get("task", "pairs"), "devMetric": meta.get("devMetric", "bleu"),
        "dataFile": meta.get("dataFile", ""), "trainPairs": len(job.train), "parameters": parameters,
        "createdAt": meta.get("createdAt"), "updatedAt": meta.get("createdAt"),
        "trainedWith": {"engine": "pytorch", "torch": torch.__version__, "processes": dist.world, "device": dist.device.type},
    }
    if meta.get("devFile"):
        config["devFile"] = meta["devFile"]
    return config


class TrainingRun:
    """One process's part of a run: set up (fresh or resumed), then epochs of steps, each epoch ended
    by dev scoring, the best model saved, the learning-rate schedule, a checkpoint and metrics.json."""

    def __init__(self, job, dist, opts, on_event):
        self.job, self.dist, self.opts, self.on_event = job, dist, opts, on_event
        self.settings = job.settings
        self.tr = self.settings["train"]
        self.out = os.path.abspath(opts.out)
        resuming = resume_decision(self.out, opts, dist)
        torch.manual_seed(self.tr["seed"])
        self.model = new_model(self.settings, job.tokenizers)
        torch.manual_seed(self.tr["seed"] * 1000 + dist.rank + 1)  # dropout masks differ between processes
        self.progress, torch_state = fresh_progress(self.tr["lr"]), {}
        self.adam = adam_settings(self.tr)
        self.metrics_file = {"history": [], "best": None, "steps": 0, "elapsedMs": 0}
        restored = self._read_checkpoint() if resuming and dist.is_main else None
        restored = dist.broadcast(restored)
        if restored is not None:
            state, weights, _ = restored
            self.model.load_engine(weights, where=os.path.join(self.out, "checkpoint"))
            self.progress = {k: state[k] for k in fresh_progress(0)}
            self.adam = state.get("adam") or FORMAT1_ADAM  # the checkpoint's constants and schedule: resume goes on exactly
            torch_state = state.get("torch") or {}
        self.resumed = restored is not None
        self.model.to(dist.device)
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.trainable, lr=self.progress["lr"], betas=(self.adam["beta1"], self.adam["beta2"]), eps=self.adam["epsilon"])
        if restored is not None:
            restore_optimizer(self.model, self.optimizer, restored[2], self.progress["optimizerStep"])
        self._set_up_precision(torch_state)
        self.net = DistributedDataParallel(self.model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None) if dist.active else self.model
        self.per_process = max(1, self.tr["batch"] // dist.world)
        self.lengths = [(len(ex[0]), len(ex[1])) for ex in job.train]
        self.steps_per_epoch = steps_per_epoch(len(job.train), self.per_process, dist.world)
        if self.progress["stepInEpoch"] and (torch_state.get("processes") != dist.world or torch_state.get("batchPerProcess") != self.per_process):
            # The batches of an epoch depend on the number of processes: start the interrupted epoch over.
            on_event({"kind": "note", "text": f"resuming with {dist.world} processes x {self.per_process} (checkpoint: {torch_state.get('processes')} x "
                                              f"{torch_state.get('batchPerProcess')}): epoch {self.progress['epoch'] + 1} starts over"})
            self.progress["stepInEpoch"] = 0
        self.parameters = sum(t.numel() for _, t in self.model.to_engine())
        self.config = model_config(job, self.settings, self.parameters, dist)
        if dist.is_main:
            write_meta(self.out, self.config, job.tokenizers)
        self.before_ms, self.run_start = self.progress["elapsedMs"], time.time()
        self.last_ck, self.last_ck_step = time.time(), self.progress["step"]
        self.samples_done = self.tokens_done = 0  # this process's, in this run

    def _read_checkpoint(self):
        remove_stale_temp_files(self.out)
        remove_stale_temp_files(os.path.join(self.out, "checkpoint"))
        mpath = os.path.join(self.out, METRICS_FILE)
        if os.path.exists(mpath):
            self.metrics_file = read_json(mpath, "the metrics history (metrics.json)")
        return read_checkpoint(self.out)

    def _set_up_precision(self, torch_state):
        amp = self.opts.amp if self.dist.device.type == "cuda" else "off"
        if self.opts.amp != "off" and amp == "off":
            raise SystemExit("--amp needs a GPU (mixed precision on the CPU is slower, not faster)")
        self.amp_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(amp)
        self.scaler = torch.cuda.amp.GradScaler(enabled=amp == "fp16")
        if torch_state.get("scaler") and amp == "fp16":
            self.scaler.load_state_dict(torch_state["scaler"])

    def elapsed_ms(self):
        return self.before_ms + (time.time() - self.run_start) * 1000

    # ---- writing (rank 0) ------------------------------------------------------------------------

    def save_model(self):
        self.config["updatedAt"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        write_meta(self.out, self.config, self.job.tokenizers)
        toks = self.job.tokenizers
        write_weights(self.out, self.model.to_engine(), self.settings["model"], (len(toks["source"]["tokens"]), len(toks["target"]["tokens"])))

    def checkpoint(self):
        save_checkpoint(self.out, self.model, self.optimizer, dict(self.progress, elapsedMs=self.elapsed_ms(), adam=self.adam), {
            "processes": self.dist.world, "batchPerProcess": self.per_process, "arch": arch_of(self.settings["model"]),
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None,
        })
        self.last_ck, self.last_ck_step = time.time(), self.progress["step"]

    # ---- steps -----------------------------------------------------------------------------------

    def step(self, idx, total_tokens):
        """One optimisation step on this process's rows; returns (loss sum, correct tokens)."""
        src, lens, tgt_in, tgt_out, _ = pad_batch(self.job.train, idx, self.dist.device)
        self.net.train()
        with torch.autocast(device_type=self.dist.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None):
            scaled, loss_sum, correct = loss_for_backward(self.net, (src, lens, tgt_in, tgt_out), total_tokens, self.dist.world, self.tr.get("labelSmoothing", 0) or 0)
        self.optimizer.zero_grad(set_to_none=True)
        for g in self.optimizer.param_groups:  # this update's rate: the base (halved on plateaus) times the schedule
            g["lr"] = self.progress["lr"] * lr_factor(self.adam["schedule"], self.progress["optimizerStep"] + 1)
        self.scaler.scale(scaled).backward()
        self.scaler.unscale_(self.optimizer)
        if self.tr.get("clipNorm", 0) > 0:
            torch.nn.utils.clip_grad_norm_(self.trainable, self.tr["clipNorm"])
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss_sum.item(), float(correct.item())

    def epoch(self, epoch):
        """This epoch's steps from progress.stepInEpoch; returns (stop reason or None, [loss, correct, tokens] of this process)."""
        batches = process_batches(self.lengths, self.per_process, self.tr["seed"], epoch, self.dist.world, self.dist.rank)
        budget_ms = self.tr["minutes"] * 60_000 if self.tr.get("minutes") else math.inf
        sums = [0.0, 0.0, 0.0]
        win = [0.0, 0.0, 0.0, 0.0]  # loss, correct, tokens, samples since the last step event
        win_start = time.time()
        for bi in range(self.progress["stepInEpoch"], len(batches)):
            if self.opts.max_steps and self.progress["step"] >= self.opts.max_steps:
                return "max-steps", sums
            ntok = sum(target_tokens(self.job.train[i]) for i in batches[bi])
            # One small all-reduce: the whole batch's token count, and rank 0's verdict on the time budget.
            total, over = self.dist.sum([ntok, 1.0 if (self.dist.is_main and self.elapsed_ms() >= budget_ms) else 0.0])
            if over > 0:
                return "time-budget", sums
            loss, correct = self.step(batches[bi], total)
            self.progress["step"] += 1
            self.progress["optimizerStep"] += 1
            self.progress["stepInEpoch"] = bi + 1
            for acc in (sums, win):
                acc[0] += loss; acc[1] += correct; acc[2] += ntok
            win[3] += len(batches[bi])
            self.samples_done += len(batches[bi])
            self.tokens_done += ntok
            if self.progress["step"] % self.tr.get("logEvery", 10) == 0 or bi == len(batches) - 1:
                wl, wc, wt, ws = self.dist.sum(win)
                secs = max(1e-3, time.time() - win_start)
                self.on_event({"kind": "step", "epoch": epoch + 1, "step": self.progress["step"], "stepInEpoch": bi + 1, "stepsPerEpoch": self.steps_per_epoch,
                               "loss": wl / wt if wt else 0.0, "accuracy": 100 * wc / wt if wt else 0.0, "lr": self.optimizer.param_groups[0]["lr"],
                               "samplesPerSec": ws / secs, "targetTokensPerSec": wt / secs, "elapsedMs": self.elapsed_ms()})
                win, win_start = [0.0, 0.0, 0.0, 0.0], time.time()
            self._maybe_checkpoint(epoch)
        return None, sums

    def _maybe_checkpoint(self, epoch):
        o = self.opts
        due = (o.checkpoint_steps and self.progress["step"] - self.last_ck_step >= o.checkpoint_steps) or \
              (o.checkpoint_minutes and time.time() - self.last_ck >= o.checkpoint_minutes * 60)
        if not due:
            return
        if self.dist.is_main:
            self.progress["epoch"] = epoch
            self.checkpoint()
            self.on_event({"kind": "checkpoint", "step": self.progress["step"]})
        self.last_ck, self.last_ck_step = time.time(), self.progress["step"]

    # ---- the end of an epoch ---------------------------------------------------------------------

    def end_of_epoch(self, epoch, complete, train_loss, train_acc):
        """Dev scores (all processes), the best model, the plateau schedule; rank 0 writes. Returns the epoch event."""
        p = self.progress
        dev, samples = None, []
        if self.job.dev:
            local, samples = dev_sums(self.model, self.job.dev, self.opts.max_dev_decode, self.tr["maxLen"] + 2, self.job.tokenizers["target"],
                                      max(64, self.per_process), self.dist.device, self.dist.world, self.dist.rank)
            dev = dev_metrics(self.dist.sum(local))
        score = dev_score(self.config["devMetric"], dev, train_loss)
        is_best = p["bestScore"] is None or score > p["bestScore"]
        if is_best:
            p["bestScore"] = score
            if self.dist.is_main:
                self.save_model()
        if complete:
            # Plateaus are judged on whole epochs by the all-reduced dev loss: every process decides alike.
            plateau = -(dev["loss"] if dev else train_loss)
            if p["plateauBest"] is None or plateau > p["plateauBest"] + 1e-4:
                p["plateauBest"], p["badEpochs"], p["lrBadEpochs"] = plateau, 0, 0
            else:
                p["badEpochs"] += 1
                p["lrBadEpochs"] += 1
                if self.tr.get("lrPatience", 0) > 0 and p["lrBadEpochs"] >= self.tr["lrPatience"]:
                    p["lr"] = max(p["lr"] * 0.5, 1e-5)
                    p["lrBadEpochs"] = 0
        event = {"kind": "epoch", "epoch": epoch + 1, "epochs": self.tr["epochs"], "step": p["step"], "trainLoss": train_loss,
                 "trainAccuracy": train_acc, "dev": dev, "samples": samples, "lr": self.optimizer.param_groups[0]["lr"], "elapsedMs": self.elapsed_ms(),
                 "isBest": is_best, "checkpointSaved": True}
        if self.dist.is_main:
            self.checkpoint()
            m = self.metrics_file
            m["history"].append(event)
            if is_best:
                m["best"] = {"epoch": epoch + 1, "dev": dev}
            m["steps"], m["elapsedMs"] = p["step"], self.elapsed_ms()
            write_json_atomic(os.path.join(self.out, METRICS_FILE), m)
        return event

    def run(self):
        d, p = self.dist, self.progress
        self.on_event({"kind": "start", "processes": d.world, "backend": d.backend, "device": str(d.device), "batchPerProcess": self.per_process,
                       "globalBatch": self.per_process * d.world, "stepsPerEpoch": self.steps_per_epoch, "parameters": self.parameters,
                       "trainPairs": len(self.job.train), "devPairs": len(self.job.dev),
                       "resumedFrom": {"epoch": p["epoch"], "step": p["step"]} if self.resumed else None, "restart": d.restart})
        reason = "completed"
        train_secs = 0.0
        epoch = p["epoch"]
        while epoch < self.tr["epochs"]:
            t0 = time.time()
            stop, sums = self.epoch(epoch)
            train_secs += time.time() - t0
            complete = p["stepInEpoch"] >= self.steps_per_epoch
            p["epoch"], p["stepInEpoch"] = (epoch + 1, 0) if complete else (epoch, p["stepInEpoch"])
            loss, correct, tokens = d.sum(sums)
            if stop:
                reason = stop
            if tokens == 0 and not complete:
                if d.is_main:
                    self.checkpoint()  # stopped before any step of this epoch: resume is still exact
                break
            self.on_event(self.end_of_epoch(epoch, complete, loss / tokens if tokens else 0.0, 100 * correct / tokens if tokens else 0.0))
            if stop:
                break
            if complete and self.tr.get("patience", 0) > 0 and p["badEpochs"] >= self.tr["patience"]:
                reason = "early-stopping"
                break
            epoch += 1
        best = self.metrics_file.get("best") or {}
        samples, tokens = d.sum([self.samples_done, self.tokens_done])
        wall = max(1e-3, time.time() - self.run_start)
        end = {"kind": "end", "reason": reason, "model": self.out, "epochs": p["epoch"], "steps": p["step"], "elapsedMs": self.elapsed_ms(),
               "processes": d.world, "samplesPerSec": samples / wall, "targetTokensPerSec": tokens / wall,
               "trainSamplesPerSec": samples / max(1e-3, train_secs), "bestDev": best.get("dev")}
        self.on_event(end)
        return end


def train(job, dist, opts, on_event):
    return TrainingRun(job, dist, opts, on_event).run()
