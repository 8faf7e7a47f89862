"""The machine's float32 matrix-multiply peak, measured: numpy's sgemm (OpenBLAS, all threads) on large square
matrices, best of several products per size. Prints JSON: {"gflops": best, "sizes": {n: GFLOP/s}, "blas": ...}.

  python peak.py [--quick]
"""

import json
import sys
import time

import numpy as np


def main():
    quick = "--quick" in sys.argv
    sizes, reps = ((512, 1024), 3) if quick else ((2048, 3072, 4096), 5)
    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = a @ b  # Warm-up: threads started, pages touched.
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            np.matmul(a, b, out=c)
            best = min(best, time.perf_counter() - t)
        out[str(n)] = 2 * n**3 / best / 1e9
    blas = {}
    try:
        from threadpoolctl import threadpool_info

        blas = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                for i in threadpool_info() if i.get("user_api") == "blas"]
    except ImportError:
        pass
    print(json.dumps({"gflops": max(out.values()), "sizes": out, "blas": blas, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
