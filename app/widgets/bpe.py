"""Byte-pair encoding learned step by step (Sennrich et al. 2016), next to real WordPiece."""

import re
from collections import Counter

from pydantic import Field

from app.engine.minilm import load_tokenizer
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

END = "</w>"  # end-of-word marker: "est</w>" (a word ending) differs from "est" inside "estimate"
MAX_CORPUS_CHARS = 2000
MAX_MERGES = 50
MAX_SENTENCE_CHARS = 200
MAX_SHOWN_WORDS = 12
WORD_RE = re.compile(r"\w+|[^\w\s]")  # words, and each punctuation mark on its own
DEFAULT_CORPUS = ("low low low low low lower lower newest newest newest newest newest newest "
                  "widest widest widest")


class Params(WidgetParams):
    corpus: str = Field(DEFAULT_CORPUS, max_length=MAX_CORPUS_CHARS,
                        description=f"Training text, at most {MAX_CORPUS_CHARS} characters",
                        json_schema_extra=ui("Training corpus", control="textarea", rows=3))
    num_merges: int = Field(10, ge=0, le=MAX_MERGES, description="Merges to learn (0–50)",
                            json_schema_extra=ui("Merges"))
    sentence: str = Field("the lowest newer widest", max_length=MAX_SENTENCE_CHARS,
                          description="Text to tokenize with the learned merges and WordPiece",
                          json_schema_extra=ui("Sentence to tokenize"))


class Merge(WidgetResult):
    step: int
    pair: list[str]  # the two symbols joined, left then right
    count: int  # corpus frequency of the pair when it was merged
    token: str


class Segmented(WidgetResult):
    word: str
    count: int
    tokens: list[str]


class Piece(WidgetResult):
    token: str
    id: int
    special: bool


class Result(WidgetResult):
    merges: list[Merge]
    base_vocab: list[str]  # the characters of the corpus plus the end-of-word marker
    vocab_size: int  # base symbols + learned tokens
    stopped_early: bool  # every corpus word became a single token before num_merges
    corpus_words: list[Segmented]  # most frequent words, segmented by all learned merges
    sentence_tokens: list[str]
    wordpiece: list[Piece]
    base_count: int = 0  # symbols before any merge
    merges_done: int = 0  # merges learned (fewer than asked when stopped early)


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def _pair_counts(vocab: dict[tuple[str, ...], int]) -> Counter:
    """Counts of adjacent symbol pairs, weighted by word frequency; in first-seen order."""
    pairs: Counter = Counter()
    for symbols, freq in vocab.items():
        for pair in zip(symbols, symbols[1:], strict=False):
            pairs[pair] += freq
    return pairs


def _merge_word(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def learn(corpus_words: list[str], num_merges: int):
    """Sennrich's Algorithm 1. Ties go to the pair seen first (words in order of first
    appearance, pairs left to right), as ``max`` over an insertion-ordered dict does.

    Returns (merges as (pair, count), final vocab {symbols tuple: frequency}).
    """
    vocab = {tuple(w) + (END,): n for w, n in Counter(corpus_words).items()}
    merges = []
    for _ in range(num_merges):
        pairs = _pair_counts(vocab)
        if not pairs:
            break
        best = max(pairs, key=pairs.__getitem__)  # first maximum in insertion order
        merges.append((best, pairs[best]))
        vocab = {_merge_word(s, best): n for s, n in vocab.items()}
    return merges, vocab


def segment(word: str, merges: list[tuple[str, str]]) -> list[str]:
    """Apply the learned merges, in the order learned, to one word."""
    symbols = tuple(word) + (END,)
    for pair in merges:
        symbols = _merge_word(symbols, pair)
    return list(symbols)




def compute(params: Params) -> Result:
    """Learn ``num_merges`` merges from ``corpus``; tokenize ``sentence`` with them and with
    MiniLM's WordPiece."""
    corpus_words = words(params.corpus)
    if not corpus_words:
        raise WidgetInputError("corpus: type some words to learn merges from")
    merges, vocab = learn(corpus_words, params.num_merges)
    pairs = [pair for pair, _ in merges]
    base = sorted({c for w in corpus_words for c in w}) + [END]
    counts = Counter(corpus_words).most_common(MAX_SHOWN_WORDS)
    encoding = load_tokenizer().encode(params.sentence)
    return Result(
        merges=[Merge(step=i, pair=list(p), count=n, token=p[0] + p[1])
                for i, (p, n) in enumerate(merges, start=1)],
        base_vocab=base, vocab_size=len(base) + len(merges), base_count=len(base),
        merges_done=len(merges),
        stopped_early=len(merges) < params.num_merges,
        corpus_words=[Segmented(word=w, count=n, tokens=segment(w, pairs)) for w, n in counts],
        sentence_tokens=[t for w in words(params.sentence) for t in segment(w, pairs)],
        wordpiece=[Piece(token=t, id=i, special=bool(s))
                   for t, i, s in zip(encoding.tokens, encoding.ids, encoding.special_tokens_mask,
                                        strict=True)],
    )


SPEC = WidgetSpec(
    name="bpe",
    title="Byte-pair encoding, merge by merge",
    summary="Learn BPE merges from a corpus you edit, then compare with a real WordPiece "
            "tokenizer.",
    params=Params,
    result=Result,
    compute=compute,
)
