"""
Attention over the encoder outputs ("memory"), as src/model/attention.ts computes it.
Luong (general): score(h, m) = h . W_a m.  Bahdanau (additive): score(h, m) = v . tanh(W_q h + W_k m).
Both score the decoder's current output (Luong ordering, no input feeding), so training attends for
all target steps at once. Padding gets a -1e9 bias before the softmax (the same addition as the
engine, so even an all-padding row comes out the same). Weights keep the engine's [in, out] layout.
"""
import torch
import torch.nn as nn


class Memory:
    """What attention needs from the encoder, prepared once per batch: values [B,S,Hm], keys, mask bias [B,1,S]."""

    def __init__(self, values, keys, mask_bias):
        self.values, self.keys, self.mask_bias = values, keys, mask_bias

    def rows(self, idx):
        return Memory(self.values[idx], self.keys[idx], self.mask_bias[idx])


class Attention(nn.Module):
    def __init__(self, kind, hidden):
        super().__init__()
        if kind not in ("luong", "bahdanau"):
            raise ValueError(f"settings.model.attention: unknown attention {kind!r}")
        self.kind = kind
        if kind == "luong":
            self.W_a = nn.Parameter(torch.empty(hidden, hidden))
        else:
            self.W_query = nn.Parameter(torch.empty(hidden, hidden))
            self.W_key = nn.Parameter(torch.empty(hidden, hidden))
            self.v = nn.Parameter(torch.empty(hidden, 1))
        self.W_c = nn.Parameter(torch.empty(2 * hidden, hidden))

    def prepare(self, encoder_outputs, src_mask):
        """encoder_outputs [S,B,Hm] time-major, src_mask [S,B] (1 = real token) -> Memory."""
        values = encoder_outputs.transpose(0, 1)
        keys = values @ (self.W_a if self.kind == "luong" else self.W_key)
        # float32 even under fp16 autocast, where -1e9 would overflow to -inf
        mask_bias = ((1 - src_mask.t().float()) * -1e9).unsqueeze(1)
        return Memory(values, keys, mask_bias)

    def forward(self, queries, memory):
        """queries [B,T,H] -> attentional hidden states tanh(W_c [h; context]) [B,T,H]."""
        if self.kind == "luong":
            scores = queries @ memory.keys.transpose(1, 2)
        else:
            e = torch.tanh((queries @ self.W_query).unsqueeze(2) + memory.keys.unsqueeze(1))
            scores = (e @ self.v).squeeze(-1)
        weights = torch.softmax(scores + memory.mask_bias, dim=-1)
        context = weights @ memory.values
        return torch.tanh(torch.cat([queries, context], dim=-1) @ self.W_c)

    def engine_weights(self, prefix="attention"):
        names = ["W_a"] if self.kind == "luong" else ["W_query", "W_key", "v"]
        return [(f"{prefix}/{n}", getattr(self, n)) for n in names + ["W_c"]]
