"""
Trains a job written by `seq2seq export-job` and writes one of our model folders:

  python -m seq2seq_torch.train JOB --out MODEL                 one process
  torchrun --nproc-per-node K -m seq2seq_torch.train JOB --out MODEL         K processes, one machine
  torchrun --nnodes N --nproc-per-node K --rdzv-backend c10d --rdzv-endpoint HOST:29400 \\
           --rdzv-id RUN -m seq2seq_torch.train JOB --out MODEL           N machines

(run from the repository root with PYTHONPATH=python, or after `pip install ./python`). The folder
works as it is with `seq2seq translate --model MODEL`, `seq2seq eval` and Load Model from Folder.
Add --max-restarts R to torchrun to restart failed workers: they continue from the last checkpoint.
"""
import argparse
import json
import os
import sys

import torch

from .distributed import Distributed
from .job import JobError, read_job
from .training import Options, train


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m seq2seq_torch.train", description=__doc__.strip().split("\n\n")[0])
    p.add_argument("job", help="the job folder (seq2seq export-job --out JOB)")
    p.add_argument("--out", required=True, help="the model folder to write (our format)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--epochs", type=int, help="most epochs (default: the job's)")
    p.add_argument("--minutes", type=float, help="time budget in minutes, 0 = none (default: the job's)")
    p.add_argument("--batch", type=int, help="global batch: pairs per step over all processes (default: the job's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the job's)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps in all (0 = no limit)")
    p.add_argument("--checkpoint-steps", type=int, default=0, help="also checkpoint every N steps (0 = off)")
    p.add_argument("--checkpoint-minutes", type=float, default=1.0, help="checkpoint at least this often (default 1)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="auto: a GPU per process when there is one")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off", help="mixed precision on GPUs (fp16 with a loss scaler)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads per process (default: the cores / processes on this machine)")
    p.add_argument("--max-dev-decode", type=int, default=1000, help="dev pairs decoded after each epoch for PER/WER/BLEU")
    p.add_argument("--json", action="store_true", help="end with one JSON line of figures (rank 0)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p.parse_args(argv)


def apply_overrides(settings, args):
    tr = settings["train"]
    for key, value in (("epochs", args.epochs), ("minutes", args.minutes), ("batch", args.batch), ("lr", args.lr)):
        if value is not None:
            tr[key] = value
    for key, ok in (("epochs", tr["epochs"] >= 1), ("batch", tr["batch"] >= 1), ("lr", tr["lr"] > 0), ("minutes", (tr.get("minutes") or 0) >= 0)):
        if not ok:
            raise SystemExit(f"--{key}: out of range ({tr[key]})")


def printer(quiet, stream=sys.stderr):
    def on_event(e):
        kind = e["kind"]
        if kind == "start":
            res = f", resumed at epoch {e['resumedFrom']['epoch'] + 1} step {e['resumedFrom']['step']}" if e["resumedFrom"] else ""
            rst = f" (restart {e['restart']})" if e["restart"] else ""
            print(f"seq2seq_torch: {e['processes']} process(es) on {e['device']} ({e['backend']}){rst}, batch {e['globalBatch']} "
                  f"= {e['processes']} x {e['batchPerProcess']}, {e['trainPairs']} pairs, {e['stepsPerEpoch']} steps/epoch, "
                  f"{e['parameters']} parameters{res}", file=stream, flush=True)
        elif kind == "step" and not quiet:
            print(f"epoch {e['epoch']} step {e['stepInEpoch']}/{e['stepsPerEpoch']}: loss {e['loss']:.4f} acc {e['accuracy']:.1f} % "
                  f"{e['samplesPerSec']:.0f} samples/s", file=stream, flush=True)
        elif kind == "checkpoint" and not quiet:
            print(f"checkpoint at step {e['step']}", file=stream, flush=True)
        elif kind == "note":
            print(e["text"], file=stream, flush=True)
        elif kind == "epoch":
            d = e["dev"]
            dev = f", dev loss {d['loss']:.4f} PER {d['per']:.2f} % WER {d['wer']:.2f} % BLEU {d['bleu']:.2f}" if d else ""
            print(f"epoch {e['epoch']}: train loss {e['trainLoss']:.4f}{dev}{' (best, saved)' if e['isBest'] else ''}", file=stream, flush=True)
        elif kind == "end":
            print(f"done ({e['reason']}): {e['steps']} steps, {e['samplesPerSec']:.0f} samples/s; model in {e['model']}", file=stream, flush=True)
    return on_event


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    dist = Distributed(args.device)
    try:
        if dist.device.type == "cpu":
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            torch.set_num_threads(args.threads or max(1, cores // max(1, dist.local_world)))
        try:
            job = read_job(args.job)
        except JobError as e:
            raise SystemExit(f"seq2seq_torch: {e}")
        apply_overrides(job.settings, args)
        on_event = printer(args.quiet) if dist.is_main else (lambda e: None)
        end = train(job, dist, Options(args.out, args.resume, args.max_steps, args.checkpoint_steps, args.checkpoint_minutes, args.amp, args.max_dev_decode), on_event)
        if args.json and dist.is_main:
            print(json.dumps({
                "reason": end["reason"], "model": end["model"], "processes": end["processes"], "threads": torch.get_num_threads(),
                "steps": end["steps"], "epochs": end["epochs"], "elapsed_s": end["elapsedMs"] / 1000,
                "samples_per_s": end["samplesPerSec"], "train_samples_per_s": end["trainSamplesPerSec"],
                "target_tokens_per_s": end["targetTokensPerSec"], "best_dev": end["bestDev"],
            }), flush=True)
    finally:
        dist.close()


if __name__ == "__main__":
    main()
