import os

# Small problems are far slower threaded on this machine; the thread policy chooses, tests need not.
os.environ.setdefault("NUMBA_NUM_THREADS", os.environ.get("NUMBA_NUM_THREADS", str(os.cpu_count() or 1)))
