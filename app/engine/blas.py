"""The BLAS thread pool of this process, pinned at start-up whatever launched the server.

NumPy's OpenBLAS starts one thread per core by default; with several workers (or the
batching engine's threads) sharing two cores those threads fight, and a 32-token request
took 1.5-4.4 s instead of 0.3-0.5 s (issue 18). ``OPENBLAS_NUM_THREADS`` only helps when
every launcher remembers to set it; threadpoolctl sets the pool of the loaded library.
"""

from threadpoolctl import ThreadpoolController


def pin_blas_threads(threads: int) -> None:
    """Limit every BLAS library loaded in this process to ``threads`` threads."""
    import numpy  # noqa: F401 - loads OpenBLAS, so there is a pool to limit

    ThreadpoolController().limit(limits=threads, user_api="blas")


def blas_threads() -> int | None:
    """The largest thread pool of the BLAS libraries loaded here (None: none loaded)."""
    pools = ThreadpoolController().select(user_api="blas").info()
    return max((p["num_threads"] for p in pools), default=None)
