"""Fits the risk model's Poisson GLM with statsmodels and scikit-learn on the design
matrix that `zhicha engine bench --design-out` wrote, and compares with the Rust fit.
Usage: engine_glm.py DESIGN.csv RUST_FIT_SECONDS RUST_COEF_JSON LABEL"""
import json
import sys
import time

import numpy as np
import statsmodels.api as sm
from sklearn.linear_model import PoissonRegressor

path, rust_s, rust_coef, label = sys.argv[1], float(sys.argv[2]), np.array(json.loads(sys.argv[3])), sys.argv[4]
data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
y, x = data[:, 0], data[:, 1:]
xc = sm.add_constant(x, has_constant="add")


def best_of(fit, n=5):
    best, out = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        out = fit()
        best = min(best, time.perf_counter() - t)
    return best, out


sm_s, sm_fit = best_of(lambda: sm.GLM(y, xc, family=sm.families.Poisson()).fit(tol=1e-10))
sk_s, sk_fit = best_of(lambda: PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(x, y))
sm_coef = np.asarray(sm_fit.params)
sk_coef = np.concatenate([[sk_fit.intercept_], sk_fit.coef_])
for name, secs, coef in (("statsmodels", sm_s, sm_coef), ("scikit-learn", sk_s, sk_coef)):
    diff = float(np.max(np.abs(coef - rust_coef)))
    print(
        f"{label}: glm {x.shape[0]} rows x {x.shape[1] + 1} coef: rust {rust_s * 1e3:.3f} ms, "
        f"{name} {secs * 1e3:.3f} ms, ratio {secs / rust_s:.1f}x, max |coef diff| {diff:.2e}"
        + ("" if diff < 1e-4 else "  (DISAGREE)")
    )
