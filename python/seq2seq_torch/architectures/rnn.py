"""
The recurrent encoder-decoder of src/model (seq2seq.ts, encoder.ts, decoder.ts, rnn.ts, params.ts),
in PyTorch, with its weights mapped one to one to the engine's names and layouts.

  encoder: embedding -> dropout -> LSTM|GRU, 1-4 layers, optionally bidirectional (each direction
           hidden/2 wide), dropout between layers; padding masked (packed sequences: the final state
           is the state after the last real token, in either direction, as the engine's masks give)
  decoder: embedding -> dropout -> LSTM|GRU layers initialised from the encoder's final state of the
           same depth (directions concatenated) -> dropout after every layer -> optional attention
           over the encoder outputs -> output projection to target-vocabulary logits

Layouts (the engine follows Keras): a kernel is [in, gates*H] (PyTorch: [gates*H, in]); LSTM gates
i,f,c,o are PyTorch's i,f,g,o; GRU gates z,r,h (reset_after) are PyTorch's r,z,n, with the engine's
[2, 3H] bias being PyTorch's (bias_ih, bias_hh). The engine's LSTM has one bias, so PyTorch's bias_hh
stays zero and is not trained.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..attention import Attention
from ..vocab import PAD

# PyTorch's GRU block i is the engine's block GRU_ORDER[i] (and back: the swap is its own inverse).
GRU_ORDER = [1, 0, 2]


class DecoderState:
    """The decoder's recurrent state (h or (h, c), each [layers, B, H]) and the encoder memory (or None)."""

    def __init__(self, rnn, memory):
        self.rnn, self.memory = rnn, memory


def _rows(rnn_state, idx):
    return tuple(s[:, idx] for s in rnn_state) if isinstance(rnn_state, tuple) else rnn_state[:, idx]


class RnnSeq2Seq(nn.Module):
    @classmethod
    def from_settings(cls, m, src_vocab, tgt_vocab):
        for key in ("cell", "layers", "bidirectional", "emb", "hidden", "attention", "dropout"):
            if key not in m:
                raise ValueError(f"settings.model.{key} is missing")
        if m["cell"] not in ("lstm", "gru"):
            raise ValueError(f"settings.model.cell: must be lstm or gru (got {m['cell']!r})")
        if not (isinstance(m["layers"], int) and 1 <= m["layers"] <= 4):
            raise ValueError(f"settings.model.layers: must be 1 to 4 (got {m['layers']!r})")
        if m["attention"] not in ("none", "luong", "bahdanau"):
            raise ValueError(f"settings.model.attention: must be none, luong or bahdanau (got {m['attention']!r})")
        return cls(m["cell"], m["layers"], bool(m["bidirectional"]), m["emb"], m["hidden"], m["attention"], float(m["dropout"]), src_vocab, tgt_vocab)

    def __init__(self, cell, layers, bidirectional, emb, hidden, attention, dropout, src_vocab, tgt_vocab):
        super().__init__()
        self.cell, self.layers, self.bidirectional, self.attention_kind = cell, layers, bidirectional, attention
        self.gates = 4 if cell == "lstm" else 3
        self.enc_size = hidden // 2 if bidirectional else hidden
        self.hidden = self.enc_size * (2 if bidirectional else 1)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        between = dropout if layers > 1 else 0.0
        self.src_emb = nn.Embedding(src_vocab, emb)
        self.encoder = rnn(emb, self.enc_size, num_layers=layers, bidirectional=bidirectional, dropout=between)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb)
        self.decoder = rnn(emb, self.hidden, num_layers=layers, dropout=between)
        self.attention = Attention(attention, self.hidden) if attention != "none" else None
        self.out_kernel = nn.Parameter(torch.empty(self.hidden, tgt_vocab))
        self.out_bias = nn.Parameter(torch.empty(tgt_vocab))
        self.drop = nn.Dropout(dropout)
        if cell == "lstm":
            for name, p in self._recurrent_params():
                if name.startswith("bias_hh"):
                    p.requires_grad_(False)
        self.reset_parameters()

    # ---- weights by engine name ------------------------------------------------------------------

    def _recurrent_params(self):
        for module in (self.encoder, self.decoder):
            yield from module.named_parameters()

    def _rnn_slots(self):
        """(engine prefix, PyTorch parameter prefix, PyTorch suffix) of every recurrent layer, in engine order."""
        for l in range(self.layers):
            yield f"encoder/l{l}/fwd", "encoder", f"l{l}"
            if self.bidirectional:
                yield f"encoder/l{l}/bwd", "encoder", f"l{l}_reverse"
        for l in range(self.layers):
            yield f"decoder/l{l}", "decoder", f"l{l}"

    def _gates(self, x):
        """Reorders gate blocks along dim 0 between the engine and PyTorch (only GRU's differ)."""
        if self.cell == "lstm":
            return x
        g = x.reshape(3, x.shape[0] // 3, *x.shape[1:])
        return g[GRU_ORDER].reshape(x.shape)

    def to_engine(self, tensors=None):
        """[(engine name, tensor in the engine's layout)] in the engine's weight order."""
        t = {n: p.detach() for n, p in self.named_parameters()} if tensors is None else tensors
        params = dict(self.named_parameters())
        get = lambda n: t[n] if n in t else torch.zeros_like(params[n])  # frozen LSTM bias_hh: no optimizer state
        out = []
        rnn_slots = list(self._rnn_slots())
        def rnn_entries(side):
            for prefix, module, suffix in rnn_slots:
                if module != side:
                    continue
                w_ih, w_hh = get(f"{module}.weight_ih_{suffix}"), get(f"{module}.weight_hh_{suffix}")
                b_ih, b_hh = get(f"{module}.bias_ih_{suffix}"), get(f"{module}.bias_hh_{suffix}")
                out.append((f"{prefix}/kernel", self._gates(w_ih).t().contiguous()))
                out.append((f"{prefix}/recurrent_kernel", self._gates(w_hh).t().contiguous()))
                bias = b_ih + b_hh if self.cell == "lstm" else torch.stack([self._gates(b_ih), self._gates(b_hh)])
                out.append((f"{prefix}/bias", bias))
        out.append(("encoder/embedding", get("src_emb.weight")))
        rnn_entries("encoder")
        out.append(("decoder/embedding", get("tgt_emb.weight")))
        rnn_entries("decoder")
        if self.attention is not None:
            for name, _ in self.attention.engine_weights():
                out.append((name, get("attention." + name.split("/", 1)[1])))
        out.append(("output/kernel", get("out_kernel")))
        out.append(("output/bias", get("out_bias")))
        return out

    def engine_names(self):
        return [n for n, _ in self.to_engine()]

    def from_engine(self, weights):
        """{PyTorch parameter name: tensor} from engine-layout weights (no checks; see load_engine)."""
        w = weights
        out = {"src_emb.weight": w["encoder/embedding"], "tgt_emb.weight": w["decoder/embedding"],
               "out_kernel": w["output/kernel"], "out_bias": w["output/bias"]}
        for prefix, module, suffix in self._rnn_slots():
            out[f"{module}.weight_ih_{suffix}"] = self._gates(w[f"{prefix}/kernel"].t())
            out[f"{module}.weight_hh_{suffix}"] = self._gates(w[f"{prefix}/recurrent_kernel"].t())
            b = w[f"{prefix}/bias"]
            if self.cell == "lstm":
                out[f"{module}.bias_ih_{suffix}"], out[f"{module}.bias_hh_{suffix}"] = b, torch.zeros_like(b)
            else:
                out[f"{module}.bias_ih_{suffix}"], out[f"{module}.bias_hh_{suffix}"] = self._gates(b[0]), self._gates(b[1])
        if self.attention is not None:
            for name, _ in self.attention.engine_weights():
                out["attention." + name.split("/", 1)[1]] = w[name]
        return out

    def load_engine(self, weights, where="weights"):
        """Sets every parameter from {engine name: tensor}; a missing, extra or misshapen weight is an error naming it."""
        expected = dict(self.to_engine())
        missing = [n for n in expected if n not in weights]
        extra = [n for n in weights if n not in expected]
        if missing or extra:
            raise ValueError(f"{where}: the weights do not match the settings (missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'})")
        for n, t in expected.items():
            if tuple(weights[n].shape) != tuple(t.shape):
                raise ValueError(f"{where}: weight {n} has shape {list(weights[n].shape)} but the settings need {list(t.shape)}")
        state = {k: v.to(torch.float32) for k, v in self.from_engine(weights).items()}
        with torch.no_grad():
            for name, p in self.named_parameters():
                p.copy_(state[name])

    @torch.no_grad()
    def reset_parameters(self):
        """The engine's initialisers (Keras defaults), drawn from torch's generator, in the engine's layout."""
        def glorot(rows, cols):
            limit = math.sqrt(6 / (rows + cols))
            return torch.empty(rows, cols).uniform_(-limit, limit)

        def recurrent(h):
            return torch.cat([nn.init.orthogonal_(torch.empty(h, h)) for _ in range(self.gates)], dim=1)

        w = {}
        for name, t in self.to_engine():
            kind = name.rsplit("/", 1)[1]
            if kind == "embedding":
                w[name] = torch.empty(t.shape).uniform_(-0.05, 0.05)
            elif kind == "recurrent_kernel":
                w[name] = recurrent(t.shape[0])
            elif kind == "bias" and name != "output/bias":
                b = torch.zeros(t.shape)
                if self.cell == "lstm":
                    h = t.shape[0] // 4
                    b[h:2 * h] = 1.0  # unit_forget_bias: the forget gate starts open
                w[name] = b
            elif name == "output/bias":
                w[name] = torch.zeros(t.shape)
            else:
                w[name] = glorot(*t.shape)
        self.load_engine(w)

    # ---- the forward pass ------------------------------------------------------------------------

    def _per_layer(self, s):
        """Encoder final states [layers*directions, B, He] -> [layers, B, H] (directions concatenated)."""
        if not self.bidirectional:
            return s
        s = s.view(self.layers, 2, s.shape[1], s.shape[2])
        return torch.cat([s[:, 0], s[:, 1]], dim=-1)

    def encode(self, src, src_lens):
        """src [S,B] ids (0 = padding), src_lens [B] (CPU) -> DecoderState for the first decoder step."""
        S = src.shape[0]
        x = self.drop(self.src_emb(src))
        packed = pack_padded_sequence(x, src_lens.clamp(min=1).cpu(), enforce_sorted=False)
        out, final = self.encoder(packed)
        out, _ = pad_packed_sequence(out, total_length=S)
        final = final if isinstance(final, tuple) else (final,)
        empty = (src_lens == 0).to(out.device)
        if bool(empty.any()):
            # An input with no token at all: the engine's masks keep the zero initial state throughout.
            keep = (~empty).to(out.dtype)
            out = out * keep.view(1, -1, 1)
            final = tuple(f * keep.view(1, -1, 1) for f in final)
        states = tuple(self._per_layer(f) for f in final)
        rnn_state = states if self.cell == "lstm" else states[0]
        memory = self.attention.prepare(out, (src != PAD)) if self.attention is not None else None
        return DecoderState(rnn_state, memory)

    def _attend(self, hidden, memory):
        if self.attention is not None:
            hidden = self.attention(hidden, memory)
        return hidden

    def forward(self, src, src_lens, tgt_in, tgt_out):
        """Teacher forcing: (logits [N,V], target ids [N]) of the N real target tokens, batch-major."""
        state = self.encode(src, src_lens)
        y = self.drop(self.tgt_emb(tgt_in))
        out, _ = self.decoder(y, state.rnn)
        hidden = self._attend(self.drop(out).transpose(0, 1), state.memory)
        real = (tgt_out != PAD).t()
        return hidden[real] @ self.out_kernel + self.out_bias, tgt_out.t()[real]

    def step(self, prev, state):
        """prev [B] ids -> (log-probabilities [B,V], next state)."""
        out, rnn_state = self.decoder(self.tgt_emb(prev).unsqueeze(0), state.rnn)
        hidden = self._attend(out.transpose(0, 1), state.memory)[:, 0]
        return F.log_softmax(hidden @ self.out_kernel + self.out_bias, dim=-1), DecoderState(rnn_state, state.memory)

    def tile(self, state, idx):
        return DecoderState(_rows(state.rnn, idx), state.memory.rows(idx) if state.memory is not None else None)

    def reorder(self, state, idx):
        return DecoderState(_rows(state.rnn, idx), state.memory)
