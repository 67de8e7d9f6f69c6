"""SmolLM2's byte-level BPE tokenizer, rebuilt from the GGUF's own vocabulary and merges.

The pipeline matches the model's training tokenizer (GGUF ``tokenizer.ggml.pre = smollm``):
every digit is split off on its own, then GPT-2's byte-level pre-tokenizer maps bytes to
printable characters (a space becomes ``Ġ``) and splits words, and BPE merges pieces in
rank order. Control tokens (``<|im_start|>`` …) are matched whole, never split.
"""

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

CONTROL = 3  # llama.cpp token type for special/control tokens


def build_tokenizer(tokens: list[str], merges: list[str], token_types: list[int]) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` whose ids are the GGUF's token indices.

    ``tokens``: byte-level strings in id order; ``merges``: ``"left right"`` pairs in rank
    order; ``token_types``: one llama.cpp type per token (3 marks a control token).
    """
    vocab = {tok: i for i, tok in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    bpe = models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False)
    tokenizer = Tokenizer(bpe)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    special = [tok for tok, kind in zip(tokens, token_types, strict=True) if kind == CONTROL]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    return tokenizer
