"""
The architectures, by `settings.model.arch` (absent: "rnn", the only one the engine had before the
Transformer). Each class is an nn.Module with the same small interface, so training, decoding and
the model-folder code never ask which one they hold:

  from_settings(model_settings, src_vocab, tgt_vocab)   a new model (initialised as the engine does)
  engine_names()                                        engine weight names, in the engine's order
  to_engine(tensors=None) / load_engine(weights)        {engine name: tensor in the engine's layout}
                                                        <-> parameters (tensors: any {param name: tensor}
                                                        in parameter layout, e.g. Adam's moments)
  forward(src, src_lens, tgt_in, tgt_out)               logits [N,V] of the N real target tokens and
                                                        their ids [N] (padding never reaches the output)
  encode(src, src_lens) -> state;  step(prev, state) -> (log_probs [B,V], state)
  tile(state, idx)     rows of everything (repeat inputs for beams);  reorder(state, idx)  rows of the
                       per-hypothesis parts only (beams of one input share the encoder memory)

Adding an architecture: a module beside rnn.py with such a class, and one line in ARCHITECTURES.
"""
from .rnn import RnnSeq2Seq
from .transformer import TransformerSeq2Seq

ARCHITECTURES = {"rnn": RnnSeq2Seq, "transformer": TransformerSeq2Seq}
DEFAULT_ARCH = "rnn"


def arch_of(model_settings):
    return model_settings.get("arch", DEFAULT_ARCH)


def architecture(model_settings):
    name = arch_of(model_settings)
    if name not in ARCHITECTURES:
        raise ValueError(f"settings.model.arch: unknown architecture {name!r} (this package has {', '.join(sorted(ARCHITECTURES))})")
    return ARCHITECTURES[name]


def build_model(model_settings, src_vocab, tgt_vocab):
    return architecture(model_settings).from_settings(model_settings, src_vocab, tgt_vocab)


def model_from_engine(model_settings, src_vocab, tgt_vocab, weights, where="weights"):
    """A model holding the given engine weights; checks that every name and shape matches the settings."""
    model = build_model(model_settings, src_vocab, tgt_vocab)
    model.load_engine(weights, where)
    return model
