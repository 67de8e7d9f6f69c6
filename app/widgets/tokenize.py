"""One text, two tokenizers: SmolLM2's byte-level BPE and MiniLM's WordPiece side by side."""


from pydantic import Field

from app.engine.minilm import load_tokenizer
from app.widgets._smollm2 import TokenOut, is_whole_text, token_list
from app.widgets.base import WidgetInputError, WidgetParams, WidgetResult, WidgetSpec, ui

MAX_TEXT_CHARS = 1000
DEFAULT_TEXT = "Tokenizers split 12345 unbelievably different ways: café, naïve, 🤗!"


class Params(WidgetParams):
    text: str = Field(DEFAULT_TEXT, max_length=MAX_TEXT_CHARS,
                      description=f"Any text, at most {MAX_TEXT_CHARS} characters",
                      json_schema_extra=ui("Text", control="textarea", rows=3))


class Result(WidgetResult):
    smollm2: list[TokenOut]  # byte-level BPE; text = the token decoded to a string
    minilm: list[TokenOut]  # WordPiece, [CLS] … [SEP] included; text = the vocabulary entry
    # HTML only: how many SmolLM2 tokens are bytes that are not valid UTF-8 on their own.
    partial_tokens: int = Field(0, exclude=True)



def compute(params: Params, models) -> Result:
    """Tokenize ``text`` with both models' own tokenizers (no truncation, no padding)."""
    if not params.text.strip():
        raise WidgetInputError("text: type some text to tokenize")
    model = models.smollm2()
    wordpiece = load_tokenizer().encode(params.text)
    smollm2 = token_list(model, model.encode(params.text))
    return Result(
        smollm2=smollm2,
        minilm=[TokenOut(id=i, text=t, label=t) for i, t in zip(wordpiece.ids, wordpiece.tokens,
                                                                strict=True)],
        partial_tokens=sum(1 for t in smollm2 if not is_whole_text(model, t.id)),
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
