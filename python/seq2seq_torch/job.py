"""
A training job, as `seq2seq export-job` writes it (src/model/training/exportJob.ts):

  job.json         {format: "seq2seq-training-job", formatVersion, settings, task, devMetric,
                    dataFile, devFile, trainPairs, devPairs, createdAt, files}
  tokenizers.json  the tokenisers learned on the user's machine (copied into the model folder)
  train.jsonl      one training pair a line, as ids: {"src": [...], "tgt": [...]} (no <s> </s>;
                   "open": true on a generation chunk that does not end its file: no </s> after it)
  dev.jsonl        the same plus the texts: {"src", "tgt", "source", "target"}
  README.md        how to launch it

The data arrive encoded, so Python never re-implements the engine's tokenisers.
"""
import json
import os

from .folder import read_json

JOB_FORMAT = "seq2seq-training-job"
JOB_VERSION = 1


class JobError(Exception):
    """A job folder that cannot be trained; the message names the file (and line)."""


class Job:
    def __init__(self, folder, meta, tokenizers, train, dev):
        self.folder, self.meta, self.tokenizers, self.train, self.dev = folder, meta, tokenizers, train, dev

    @property
    def settings(self):
        return self.meta["settings"]


def _examples(path, src_vocab, tgt_vocab, with_text):
    out = []
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise JobError(f"{path}: cannot read the job's data ({e.strerror})") from None
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                src, tgt = row["src"], row["tgt"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise JobError(f"{path}: line {n}: expected a JSON object with id arrays \"src\" and \"tgt\"") from None
            for side, ids, size in (("src", src, src_vocab), ("tgt", tgt, tgt_vocab)):
                if not isinstance(ids, list) or not all(isinstance(i, int) and 0 <= i < size for i in ids):
                    raise JobError(f"{path}: line {n}: \"{side}\" must be ids below the vocabulary size {size} (tokenizers.json does not match the data?)")
            # A generation chunk that does not end its file is "open": no </s> is learned after it.
            open_ = row.get("open", False)
            if not isinstance(open_, bool):
                raise JobError(f"{path}: line {n}: \"open\" must be true or false")
            if with_text:
                if not isinstance(row.get("source"), str) or not isinstance(row.get("target"), str):
                    raise JobError(f"{path}: line {n}: dev rows need the texts \"source\" and \"target\"")
                out.append((src, tgt, open_, row["source"], row["target"]))
            else:
                out.append((src, tgt, open_))
    return out


def read_job(folder):
    meta_path = os.path.join(folder, "job.json")
    if not os.path.isdir(folder):
        raise JobError(f"{folder}: no such job folder (write one with `seq2seq export-job`)")
    try:
        meta = read_json(meta_path, "the job description (job.json)")
    except Exception as e:
        raise JobError(str(e)) from None
    if not isinstance(meta, dict) or meta.get("format") != JOB_FORMAT:
        raise JobError(f"{meta_path}: not a Seq2Seq training job (format must be {JOB_FORMAT!r})")
    if not isinstance(meta.get("formatVersion"), int) or meta["formatVersion"] > JOB_VERSION:
        raise JobError(f"{meta_path}: job format {meta.get('formatVersion')!r} is not one this package reads (up to {JOB_VERSION})")
    settings = meta.get("settings")
    for section in ("model", "train", "source", "target"):
        if not isinstance(settings, dict) or not isinstance(settings.get(section), dict):
            raise JobError(f"{meta_path}: settings.{section} is missing")
    for key in ("batch", "lr", "epochs", "seed", "maxLen", "clipNorm"):
        if not isinstance(settings["train"].get(key), (int, float)) or isinstance(settings["train"].get(key), bool):
            raise JobError(f"{meta_path}: settings.train.{key} must be a number")
    files = meta.get("files") or {}
    def path_of(key, default):
        name = files.get(key, default)
        if not isinstance(name, str) or os.path.basename(name) != name or name in ("", ".", ".."):
            raise JobError(f"{meta_path}: files.{key} must be a file name inside the job folder (got {name!r})")
        return os.path.join(folder, name)
    tok_path = path_of("tokenizers", "tokenizers.json")
    try:
        toks = read_json(tok_path, "the tokenizers (tokenizers.json)")
    except Exception as e:
        raise JobError(str(e)) from None
    sizes = []
    for side in ("source", "target"):
        tokens = toks.get(side, {}).get("tokens") if isinstance(toks, dict) else None
        if not isinstance(tokens, list) or len(tokens) < 4:
            raise JobError(f"{tok_path}: the {side} vocabulary is missing or malformed")
        sizes.append(len(tokens))
    train = _examples(path_of("train", "train.jsonl"), sizes[0], sizes[1], with_text=False)
    if not train:
        raise JobError(f"{path_of('train', 'train.jsonl')}: no training pairs")
    dev_name = files.get("dev")
    dev = _examples(path_of("dev", "dev.jsonl"), sizes[0], sizes[1], with_text=True) if dev_name else []
    return Job(folder, meta, toks, train, dev)
