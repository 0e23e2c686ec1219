"""
The engine's Transformer encoder-decoder (src/model/network/transformer.ts) in PyTorch, built from
torch.nn.TransformerEncoderLayer / TransformerDecoderLayer with norm_first=True (pre-LayerNorm),
with its weights mapped one to one to the engine's names and layouts, and incremental decoding with
a key/value cache per decoder layer (nn.TransformerDecoderLayer has none: its attention is called
here on the cached keys and values with the layer's own weights).

  encoder: x = E_src[src] * sqrt(d) + P -> dropout -> norm_first encoder layers -> LayerNorm
  decoder: y = E_tgt[tgt_in] * sqrt(d) + P -> dropout -> norm_first decoder layers (causal + padding
           masks; source padding in cross-attention) -> LayerNorm -> y E_tgt^T + b (tied) or W_out

Layouts: an engine kernel is [in, out] (PyTorch Linear.weight: [out, in]). The engine's fused
self-attention kernel `qkv` [d, 3d] is nn.MultiheadAttention's in_proj_weight [3d, d] transposed
(rows q, k, v); cross-attention's `query` [d, d] and `key_value` [d, 2d] are its first d and last
2d rows. Initialised as the engine initialises (embeddings N(0, 1/d), Glorot-uniform kernels in the
engine's [in, out] layout, zero biases, unit LayerNorm gains).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..vocab import PAD


def sinusoids(n, d):
    """P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...), as the engine computes them."""
    pos = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = pos / torch.pow(10000.0, i / d)
    out = torch.zeros(n, d, dtype=torch.float64)
    out[:, 0::2] = torch.sin(angle)
    out[:, 1::2] = torch.cos(angle)[:, : d // 2]
    return out.float()


class DecoderState:
    """Per layer the self-attention keys and values so far [R, heads, t, d_k]; the memory's keys and
    values per layer [R, heads, S, d_k]; the source padding mask [R, S] (True = padding); the position."""

    def __init__(self, cache, cross, src_pad, position):
        self.cache, self.cross, self.src_pad, self.position = cache, cross, src_pad, position


class TransformerSeq2Seq(nn.Module):
    @classmethod
    def from_settings(cls, m, src_vocab, tgt_vocab):
        for key in ("dModel", "heads", "ff", "encLayers", "decLayers", "dropout", "attentionDropout", "positions", "tieEmbeddings", "activation"):
            if key not in m:
                raise ValueError(f"settings.model.{key} is missing")
        if m["dModel"] % m["heads"]:
            raise ValueError(f"settings.model.heads: must divide dModel {m['dModel']} (got {m['heads']})")
        return cls(src_vocab, tgt_vocab, m["dModel"], m["heads"], m["ff"], m["encLayers"], m["decLayers"], float(m["dropout"]),
                   float(m["attentionDropout"]), m["positions"], int(m.get("maxPositions", 256)), bool(m["tieEmbeddings"]), m["activation"],
                   bool(m.get("sharedVocab", False)))

    def __init__(self, src_vocab, tgt_vocab, d, heads, ff, enc_layers, dec_layers, dropout=0.0, attention_dropout=0.0,
                 positions="sinusoidal", max_positions=256, tie=True, activation="relu", shared=False):
        super().__init__()
        if shared and src_vocab != tgt_vocab:
            raise ValueError(f"settings.model.sharedVocab: a shared vocabulary has one size (source {src_vocab}, target {tgt_vocab})")
        self.d, self.heads, self.dk = d, heads, d // heads
        self.positions, self.max_positions, self.tie = positions, max_positions, tie
        act = F.gelu if activation == "gelu" else F.relu
        self.shared = shared  # one embedding (tgt_emb) for the encoder, the decoder and the tied output
        if shared:
            self.tgt_emb = nn.Embedding(tgt_vocab, d)
            self.src_emb = self.tgt_emb  # registered second: named_parameters() names it tgt_emb.weight
        else:
            self.src_emb = nn.Embedding(src_vocab, d)
            self.tgt_emb = nn.Embedding(tgt_vocab, d)
        if positions == "learned":
            self.src_pos = nn.Parameter(torch.empty(max_positions, d))
            self.tgt_pos = nn.Parameter(torch.empty(max_positions, d))
        layer = lambda cls: cls(d, heads, ff, dropout, activation=act, batch_first=True, norm_first=True)
        self.enc = nn.ModuleList([layer(nn.TransformerEncoderLayer) for _ in range(enc_layers)])
        self.dec = nn.ModuleList([layer(nn.TransformerDecoderLayer) for _ in range(dec_layers)])
        for l in list(self.enc) + list(self.dec):  # the engine has one attention dropout, one residual dropout
            l.self_attn.dropout = attention_dropout
            if hasattr(l, "multihead_attn"):
                l.multihead_attn.dropout = attention_dropout
            l.dropout.p = 0.0  # the engine has no dropout inside the feed-forward block
        self.enc_norm = nn.LayerNorm(d)
        self.dec_norm = nn.LayerNorm(d)
        self.out_bias = nn.Parameter(torch.zeros(tgt_vocab))
        if not tie:
            self.out_kernel = nn.Parameter(torch.empty(d, tgt_vocab))
        self.drop = nn.Dropout(dropout)
        self.register_buffer("sinusoids", sinusoids(1024, d), persistent=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        """The engine's initialisers (transformer.ts), drawn from torch's generator, in the engine's layout."""
        w = {}
        for name, t in self.to_engine():
            kind = name.rsplit("/", 1)[1]
            if kind in ("embedding", "positions"):
                w[name] = torch.randn(t.shape) * self.d ** -0.5
            elif kind == "kernel":
                limit = math.sqrt(6 / (t.shape[0] + t.shape[1]))
                w[name] = torch.empty(t.shape).uniform_(-limit, limit)
            elif kind == "gamma":
                w[name] = torch.ones(t.shape)
            else:
                w[name] = torch.zeros(t.shape)
        self.load_engine(w)

    # ---- weights by engine name --------------------------------------------------------------------

    def _slots(self):
        """(engine name, PyTorch parameter name, how): how is 't' (transpose), 'q'/'kv' (rows of in_proj, transposed) or ''."""
        out = [] if self.shared else [("encoder/embedding", "src_emb.weight", "")]
        if self.positions == "learned":
            out.append(("encoder/positions", "src_pos", ""))
        def attention(prefix, torch_prefix, cross):
            if cross:
                out.append((f"{prefix}/query/kernel", f"{torch_prefix}.in_proj_weight", "q"))
                out.append((f"{prefix}/query/bias", f"{torch_prefix}.in_proj_bias", "q"))
                out.append((f"{prefix}/key_value/kernel", f"{torch_prefix}.in_proj_weight", "kv"))
                out.append((f"{prefix}/key_value/bias", f"{torch_prefix}.in_proj_bias", "kv"))
            else:
                out.append((f"{prefix}/qkv/kernel", f"{torch_prefix}.in_proj_weight", "t"))
                out.append((f"{prefix}/qkv/bias", f"{torch_prefix}.in_proj_bias", ""))
            out.append((f"{prefix}/output/kernel", f"{torch_prefix}.out_proj.weight", "t"))
            out.append((f"{prefix}/output/bias", f"{torch_prefix}.out_proj.bias", ""))
        def norm(name, torch_name):
            out.append((f"{name}/gamma", f"{torch_name}.weight", ""))
            out.append((f"{name}/beta", f"{torch_name}.bias", ""))
        def ff(prefix, torch_prefix, norm_name):
            norm(f"{prefix}/ff_norm", f"{torch_prefix}.{norm_name}")
            out.append((f"{prefix}/ff/inner/kernel", f"{torch_prefix}.linear1.weight", "t"))
            out.append((f"{prefix}/ff/inner/bias", f"{torch_prefix}.linear1.bias", ""))
            out.append((f"{prefix}/ff/outer/kernel", f"{torch_prefix}.linear2.weight", "t"))
            out.append((f"{prefix}/ff/outer/bias", f"{torch_prefix}.linear2.bias", ""))
        for l in range(len(self.enc)):
            norm(f"encoder/l{l}/self_attention_norm", f"enc.{l}.norm1")
            attention(f"encoder/l{l}/self_attention", f"enc.{l}.self_attn", False)
            ff(f"encoder/l{l}", f"enc.{l}", "norm2")
        norm("encoder/norm", "enc_norm")
        out.append(("decoder/embedding", "tgt_emb.weight", ""))
        if self.positions == "learned":
            out.append(("decoder/positions", "tgt_pos", ""))
        for l in range(len(self.dec)):
            norm(f"decoder/l{l}/self_attention_norm", f"dec.{l}.norm1")
            attention(f"decoder/l{l}/self_attention", f"dec.{l}.self_attn", False)
            norm(f"decoder/l{l}/cross_attention_norm", f"dec.{l}.norm2")
            attention(f"decoder/l{l}/cross_attention", f"dec.{l}.multihead_attn", True)
            ff(f"decoder/l{l}", f"dec.{l}", "norm3")
        norm("decoder/norm", "dec_norm")
        if not self.tie:
            out.append(("output/kernel", "out_kernel", ""))
        out.append(("output/bias", "out_bias", ""))
        return out

    def to_engine(self, tensors=None):
        """[(engine name, tensor in the engine's layout)] in the engine's weight order."""
        t = {n: p.detach() for n, p in self.named_parameters()} if tensors is None else tensors
        d = self.d
        out = []
        for name, torch_name, how in self._slots():
            x = t[torch_name]
            if how == "t":
                x = x.t()
            elif how == "q":
                x = x[:d].t() if x.dim() == 2 else x[:d]
            elif how == "kv":
                x = x[d:].t() if x.dim() == 2 else x[d:]
            out.append((name, x.contiguous()))
        return out

    def engine_names(self):
        return [n for n, _, _ in self._slots()]

    def load_engine(self, weights, where="weights"):
        """Sets every parameter from {engine name: tensor}; a missing, extra or misshapen weight is an error naming it."""
        names = self.engine_names()
        missing = [n for n in names if n not in weights]
        extra = [n for n in weights if n not in names]
        if missing or extra:
            raise ValueError(f"{where}: the weights do not match the settings (missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'})")
        params = dict(self.named_parameters())
        d = self.d
        with torch.no_grad():
            for name, torch_name, how in self._slots():
                w = weights[name]
                p = params[torch_name]
                if how == "t":
                    w = w.t()
                if how in ("q", "kv"):
                    rows = slice(0, d) if how == "q" else slice(d, 3 * d)
                    w = w.t() if w.dim() == 2 else w
                    if tuple(p[rows].shape) != tuple(w.shape):
                        need = list(p[rows].t().shape if p.dim() == 2 else p[rows].shape)
                        raise ValueError(f"{where}: weight {name} has shape {list(weights[name].shape)} but the settings need {need}")
                    p[rows].copy_(w)
                    continue
                if tuple(p.shape) != tuple(w.shape):
                    need = list(p.shape) if how != "t" else list(p.t().shape)
                    raise ValueError(f"{where}: weight {name} has shape {list(weights[name].shape)} but the settings need {need}")
                p.copy_(w)

    # ---- the forward pass ----------------------------------------------------------------------------

    def _positions(self, table, start, n):
        if self.positions == "sinusoidal":
            if start + n > self.sinusoids.shape[0]:
                self.sinusoids = sinusoids(2 * (start + n), self.d).to(self.sinusoids.device)
            return self.sinusoids[start:start + n]
        idx = torch.clamp(torch.arange(start, start + n, device=table.device), max=self.max_positions - 1)
        return table[idx]

    def _embed(self, emb, table, ids, start=0):
        """ids [B, T] -> [B, T, d]."""
        x = emb(ids) * math.sqrt(self.d) + self._positions(table, start, ids.shape[1])
        return self.drop(x)

    def _logits(self, y):
        h = self.dec_norm(y)
        return F.linear(h, self.tgt_emb.weight, self.out_bias) if self.tie else h @ self.out_kernel + self.out_bias

    def encode_memory(self, src, src_lens=None):
        """src [S, B] time-major (the engine's and pytorch_ref.py's layout) -> memory [B, S, d], padding [B, S]."""
        src = src.t()
        pad = src == PAD
        x = self._embed(self.src_emb, getattr(self, "src_pos", None), src)
        for layer in self.enc:
            x = layer(x, src_key_padding_mask=pad)
        return self.enc_norm(x), pad

    def decode_full(self, memory, src_pad, tgt_in):
        """tgt_in [T, B] -> decoder outputs [B, T, d] (before the final LayerNorm)."""
        tgt = tgt_in.t()
        T = tgt.shape[1]
        causal = torch.triu(torch.full((T, T), float("-inf"), device=tgt.device), diagonal=1)
        y = self._embed(self.tgt_emb, getattr(self, "tgt_pos", None), tgt)
        for layer in self.dec:
            y = layer(y, memory, tgt_mask=causal, tgt_key_padding_mask=tgt == PAD, memory_key_padding_mask=src_pad)
        return y

    def forward(self, src, src_lens, tgt_in, tgt_out):
        """Logits [N, V] of the N real target tokens (batch-major order, as the engine) and their ids [N]."""
        memory, src_pad = self.encode_memory(src, src_lens)
        y = self.decode_full(memory, src_pad, tgt_in)
        keep = tgt_out.t() != PAD
        return self._logits(y[keep]), tgt_out.t()[keep]

    # ---- incremental decoding with key/value caches --------------------------------------------------

    def _heads(self, x):
        """[R, T, d] -> [R, heads, T, d_k]."""
        R, T, _ = x.shape
        return x.view(R, T, self.heads, self.dk).transpose(1, 2)

    def _attend(self, attn, q, k, v, pad=None):
        """softmax(q k^T / sqrt(d_k) + mask) v with the heads concatenated, then attn's output projection."""
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dk)
        if pad is not None:
            scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        ctx = torch.softmax(scores, dim=-1) @ v
        R, H, T, dk = ctx.shape
        return attn.out_proj(ctx.transpose(1, 2).reshape(R, T, H * dk))

    def encode(self, src, src_lens=None):
        memory, pad = self.encode_memory(src, src_lens)
        d = self.d
        cross = []
        for layer in self.dec:
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            kv = F.linear(memory, w[d:], b[d:])
            cross.append((self._heads(kv[..., :d]), self._heads(kv[..., d:])))
        return DecoderState(None, cross, pad, 0)

    def step(self, prev, state):
        """prev [R] -> log-probabilities [R, V]; each layer's new key and value join its cache."""
        d = self.d
        x = self._embed(self.tgt_emb, getattr(self, "tgt_pos", None), prev[:, None], state.position)
        cache = []
        for l, layer in enumerate(self.dec):
            h = layer.norm1(x)
            q, k, v = F.linear(h, layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias).split(d, dim=-1)
            q, k, v = self._heads(q), self._heads(k), self._heads(v)
            if state.cache is not None:
                k = torch.cat([state.cache[l][0], k], dim=2)
                v = torch.cat([state.cache[l][1], v], dim=2)
            cache.append((k, v))
            x = x + self._attend(layer.self_attn, q, k, v)
            h = layer.norm2(x)
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            q = self._heads(F.linear(h, w[:d], b[:d]))
            x = x + self._attend(layer.multihead_attn, q, state.cross[l][0], state.cross[l][1], state.src_pad)
            x = x + layer.linear2(layer.activation(layer.linear1(layer.norm3(x))))
        lp = F.log_softmax(self._logits(x[:, 0]), dim=-1)
        return lp, DecoderState(cache, state.cross, state.src_pad, state.position + 1)

    def tile(self, state, idx):
        cache = None if state.cache is None else [(k[idx], v[idx]) for k, v in state.cache]
        return DecoderState(cache, [(k[idx], v[idx]) for k, v in state.cross], state.src_pad[idx], state.position)

    def reorder(self, state, idx):
        cache = None if state.cache is None else [(k[idx], v[idx]) for k, v in state.cache]
        return DecoderState(cache, state.cross, state.src_pad, state.position)
