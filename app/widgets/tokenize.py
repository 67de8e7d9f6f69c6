"""One text, two tokenizers: SmolLM2's byte-level BPE and MiniLM's WordPiece side by side."""


from pydantic import Field

from app.engine.minilm import load_tokenizer
from app.widgets._smollm2 import TokenOut, token_list
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec

MAX_TEXT_CHARS = 1000
DEFAULT_TEXT = "Tokenizers split 12345 unbelievably different ways: café, naïve, 🤗!"


class Params(WidgetParams):
    text: str = Field(DEFAULT_TEXT, max_length=MAX_TEXT_CHARS,
                      description=f"Any text, at most {MAX_TEXT_CHARS} characters")


class Result(WidgetResult):
    smollm2: list[TokenOut]  # byte-level BPE; text = the token decoded to a string
    minilm: list[TokenOut]  # WordPiece, [CLS] … [SEP] included; text = the vocabulary entry




def compute(params: Params, models) -> Result:
    """Tokenize ``text`` with both models' own tokenizers (no truncation, no padding)."""
    if not params.text.strip():
        raise WidgetInputError("text: type some text to tokenize")
    model = models.smollm2()
    wordpiece = load_tokenizer().encode(params.text)
    return Result(
        smollm2=token_list(model, model.encode(params.text)),
        minilm=[TokenOut(id=i, text=t) for i, t in zip(wordpiece.ids, wordpiece.tokens,
                                                       strict=True)],
    )


SPEC = WidgetSpec(
    name="tokenize",
    title="Tokenizers compared: SmolLM2 BPE vs MiniLM WordPiece",
    summary="See the same text cut into tokens by a byte-level BPE and by WordPiece.",
    params=Params,
    result=Result,
    compute=compute,
    uses_model=True,
)
