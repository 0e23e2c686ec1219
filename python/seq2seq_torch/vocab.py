"""The special token ids every vocabulary of ours starts with, and turning target ids back into text.

Python never tokenises: a training job carries its data as ids, encoded by the engine's own
tokenisers (src/model/tokenizer.ts, bpe.ts), so both sides agree by construction. Only the way
back (ids -> text, for dev metrics and samples) is here, as the engine's `detokenize` does it.
"""
PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]

_NO_SPACE_BEFORE = set(".,!?;:)]}%»…")
_NO_SPACE_AFTER = set("([{¿¡«")


def ids_to_tokens(ids, tokens):
    """Token strings for ids, stopping at </s>, dropping <s> and <pad>."""
    out = []
    for i in ids:
        if i == EOS:
            break
        if i in (PAD, BOS):
            continue
        out.append(tokens[i] if 0 <= i < len(tokens) else SPECIALS[UNK])
    return out


def detokenize(tokens, vocab):
    """vocab: one side of tokenizers.json ({kind, whitespaceOnly, tokens, ...})."""
    kind = vocab.get("kind")
    if kind == "char":
        return "".join(tokens)
    if kind == "subword":
        s = "".join(tokens).replace("\u2581", " ")
        return s[1:] if s.startswith(" ") else s
    if vocab.get("whitespaceOnly"):
        return " ".join(tokens)
    s, prev = "", ""
    for tok in tokens:
        if s and tok not in _NO_SPACE_BEFORE and prev not in _NO_SPACE_AFTER and not (tok.startswith("'") and prev != ""):
            s += " "
        s += tok
        prev = tok
    return s
