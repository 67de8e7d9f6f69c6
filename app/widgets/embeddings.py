"""Word embeddings in all-MiniLM-L6-v2: neighbours of a word, and how context moves a vector.

(a) Nearest neighbours use the model's input table (``word_embeddings``, one 384-d row
per WordPiece) and cosine similarity, among a fixed list of common English words.
(b) "Context changes meaning": one word in 2–3 sentences; the cosine similarity of its
vectors across sentences at the embedding output (layer 0) and after each of the 6 layers.
"""

import numpy as np
from pydantic import Field

from app.engine.minilm import MAX_TOKENS, MODEL_NAME, N_LAYERS
from app.widgets._minilm import MAX_SENTENCE_CHARS, encode_sentence
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

# Common English words that are each one WordPiece (a test checks it), grouped by theme so
# neighbours have something to find.
THEMES: dict[str, str] = {
    "animals": (
        "cat dog horse cow pig sheep goat mouse rat rabbit lion tiger bear wolf fox deer "
        "elephant monkey snake bird eagle owl duck chicken fish shark whale dolphin frog "
        "insect bee spider"),
    "colours": "red blue green yellow orange purple pink brown black white grey gold silver",
    "numbers": "one two three four five six seven eight nine ten hundred thousand million",
    "family": (
        "mother father sister brother son daughter wife husband uncle aunt baby child "
        "family friend"),
    "food": (
        "apple banana bread cheese butter milk egg rice meat soup cake sugar salt coffee tea "
        "water wine beer fruit vegetable potato tomato"),
    "body": (
        "head hand foot arm leg eye ear nose mouth face heart brain blood bone skin hair "
        "finger tooth"),
    "places": (
        "house home room kitchen door window wall floor roof garden city town village "
        "street road bridge river lake sea ocean mountain hill forest island beach desert"),
    "weather": (
        "rain snow wind storm sun moon star cloud sky weather cold hot warm winter summer "
        "spring autumn"),
    "feelings": "happy sad angry afraid calm proud tired hungry love hate fear joy anger hope",
    "verbs": (
        "run walk jump swim fly drive eat drink sleep read write speak sing dance think know "
        "learn teach buy sell give take open close build break"),
    "time": (
        "day night morning evening week month year hour minute second today yesterday "
        "tomorrow"),
    "vehicles": "car bus train plane ship boat bicycle truck taxi",
    "people": (
        "doctor nurse teacher student lawyer farmer soldier king queen prince president "
        "judge police pilot artist writer singer"),
    "countries and cities": (
        "france germany italy spain china japan india russia england canada "
        "mexico brazil egypt africa europe asia america london paris tokyo"),
    "adjectives": (
        "big small large tiny long short tall high low fast slow good bad new old young "
        "rich poor strong weak easy hard"),
    "technology": "computer phone television radio internet software keyboard screen",
    "money and work": "money bank price market shop job work office company business",
    "culture": "book letter word story poem song music film game sport football tennis",
    "buildings": (
        "school university church hospital hotel restaurant library museum prison "
        "airport"),
    "conflict": "gun sword war peace army battle",
    "household": "table chair bed desk lamp cup plate knife spoon bottle box bag",
    "materials": "iron copper stone wood glass paper plastic",
}
VOCABULARY: tuple[str, ...] = tuple(w for words in THEMES.values() for w in words.split())
MAX_NEIGHBOURS = 20
MAX_WORD_CHARS = 40
DIGITS = 6
# The line chart of (b): x in % of its width (text keeps its CSS size), y in px.
CHART_LEFT, CHART_RIGHT = 12.0, 96.0  # % of the width
CHART_TOP, CHART_HEIGHT = 12, 170  # px
SENTENCE_HELP = (f"An English sentence of at most {MAX_TOKENS} model tokens, [CLS] and [SEP] "
                 "included, with the shared word in it")


class Params(WidgetParams):
    word: str = Field("king", min_length=1, max_length=MAX_WORD_CHARS, description=(
        "A word the model stores as one WordPiece; its nearest neighbors are listed"),
        json_schema_extra=ui("(a) Word"))
    k: int = Field(8, ge=1, le=MAX_NEIGHBOURS, description="How many neighbors (1–20)",
                   json_schema_extra=ui("(a) Neighbors"))
    shared_word: str = Field("mole", min_length=1, max_length=MAX_WORD_CHARS, description=(
        "A word that appears, as one token, in every sentence below"),
        json_schema_extra=ui("(b) Shared word"))
    sentence_1: str = Field("The mole dug a tunnel under the garden.", min_length=1,
                            max_length=MAX_SENTENCE_CHARS, description=SENTENCE_HELP,
                            json_schema_extra=ui("(b) Sentence 1"))
    sentence_2: str = Field("A mole of carbon has a mass of twelve grams.", min_length=1,
                            max_length=MAX_SENTENCE_CHARS, description=SENTENCE_HELP,
                            json_schema_extra=ui("(b) Sentence 2"))
    sentence_3: str = Field("The doctor checked the mole on her arm.",
                            max_length=MAX_SENTENCE_CHARS,
                            description="Optional third sentence (empty = compare two)",
                            json_schema_extra=ui("(b) Sentence 3 (optional)"))


class Neighbour(WidgetResult):
    word: str
    cosine: float


class ContextSentence(WidgetResult):
    sentence: str
    tokens: list[str]
    position: int  # index of the shared word in tokens ([CLS] is 0); the first if repeated


class Pair(WidgetResult):
    a: int  # sentence numbers, 1-based
    b: int
    cosine_by_layer: list[float]  # (7,): [0] embedding output, [i] after layer i
    # HTML only: the line's points on the chart, (x in % of its width, y in px).
    points: list[tuple[float, float]] = Field(default_factory=list, exclude=True)


class Result(WidgetResult):
    model: str
    word: str
    neighbours: list[Neighbour]
    vocabulary_size: int
    shared_word: str
    sentences: list[ContextSentence]
    pairs: list[Pair]
    # HTML only: the chart's y ticks (value, y px) and x ticks (label, x %).
    y_ticks: list[tuple[float, float]] = Field(default_factory=list, exclude=True)
    x_ticks: list[tuple[str, float]] = Field(default_factory=list, exclude=True)


def single_wordpiece(models, word: str, field: str) -> str:
    """The one WordPiece token ``word`` becomes, or a 422 naming the pieces it splits into."""
    word = word.strip()
    if not word or " " in word:
        raise WidgetInputError(f"{field}: give exactly one word")
    pieces = models.minilm().wordpieces(word)
    if len(pieces) != 1 or pieces[0].startswith("##") or pieces[0] == "[UNK]":
        shown = " ".join(pieces) or "nothing"
        raise WidgetInputError(
            f"{field}: the model splits '{word}' into {len(pieces)} pieces ({shown}), not one "
            "whole token; pick a more common word")
    return pieces[0]


def cosine_rows(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row of (m, d) ``matrix`` with (d,) ``vector``: (m,) float64."""
    m = matrix.astype(np.float64)
    v = vector.astype(np.float64)
    return (m @ v) / (np.linalg.norm(m, axis=1) * np.linalg.norm(v))


def neighbours(models, word: str, k: int) -> list[Neighbour]:
    """The ``k`` words of :data:`VOCABULARY` whose input embeddings are closest to ``word``'s."""
    model = models.minilm()
    token = single_wordpiece(models, word, "word")
    candidates = [w for w in VOCABULARY if w != token]
    table = model.word_embeddings
    sims = cosine_rows(table[[model.vocab_id(w) for w in candidates]],
                       table[model.vocab_id(token)])
    order = np.argsort(-sims, kind="stable")[:k]
    return [Neighbour(word=candidates[i], cosine=round(float(sims[i]), DIGITS)) for i in order]


def whole_word_position(tokens: tuple[str, ...], token: str) -> int | None:
    """First index of ``token`` standing as a whole word (not the start of "mole ##s")."""
    for i, t in enumerate(tokens):
        if t == token and (i + 1 == len(tokens) or not tokens[i + 1].startswith("##")):
            return i
    return None


def context_vectors(models, params: Params) -> tuple[str, list[ContextSentence], np.ndarray]:
    """The shared word's hidden state in each sentence: (n_sentences, 7, 384) float32."""
    token = single_wordpiece(models, params.shared_word, "shared_word")
    texts = [params.sentence_1, params.sentence_2, params.sentence_3]
    found, vectors = [], []
    for number, text in enumerate(texts, start=1):
        if number == 3 and not text.strip():
            continue
        enc = encode_sentence(models, text)
        position = whole_word_position(enc.tokens, token)
        if position is None:
            raise WidgetInputError(
                f"sentence {number}: '{token}' is not one of its tokens "
                f"({' '.join(enc.tokens[1:-1])}); use the word itself, as a whole word")
        found.append(ContextSentence(sentence=text, tokens=list(enc.tokens), position=position))
        vectors.append(enc.hidden_states[:, position])
    return token, found, np.stack(vectors)


def compute(params: Params, models) -> Result:
    shared, sentences, vectors = context_vectors(models, params)
    curves = []
    for a in range(len(sentences)):
        for b in range(a + 1, len(sentences)):
            by_layer = [float(cosine_rows(vectors[a, layer][None], vectors[b, layer])[0])
                        for layer in range(N_LAYERS + 1)]
            curves.append((a + 1, b + 1, [round(c, DIGITS) for c in by_layer]))
    # y axis from the lowest similarity (floored to 0.1, at least 0) up to 1
    lo = max(min(min(c) for _, _, c in curves), 0.0)
    lo = float(np.floor(lo * 10) / 10)
    span = max(1.0 - lo, 0.1)

    def x(layer: int) -> float:
        return round(CHART_LEFT + layer * (CHART_RIGHT - CHART_LEFT) / N_LAYERS, 3)

    def y(value: float) -> float:
        return round(CHART_TOP + (1.0 - value) / span * CHART_HEIGHT, 2)

    pairs = [Pair(a=a, b=b, cosine_by_layer=c, points=[(x(k), y(v)) for k, v in enumerate(c)])
             for a, b, c in curves]
    return Result(model=MODEL_NAME, word=single_wordpiece(models, params.word, "word"),
                  neighbours=neighbours(models, params.word, params.k),
                  vocabulary_size=len(VOCABULARY), shared_word=shared, sentences=sentences,
                  pairs=pairs,
                  y_ticks=[(v, y(v)) for v in (lo, round((lo + 1) / 2, 3), 1.0)],
                  x_ticks=[("emb" if k == 0 else str(k), x(k)) for k in range(N_LAYERS + 1)])


SPEC = WidgetSpec(
    name="embeddings",
    title="Word vectors in a real model",
    summary="Find a word's nearest neighbours, then watch context pull one word's vector apart.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
    full_width=True,
)
