"""A Remez exchange for the kernels' polynomials, in 40-digit arithmetic (mpmath).

remez(f, w, degree, lo, hi) returns the coefficients c_0 .. c_degree of the polynomial p that
minimises the largest weighted error |w(x) (p(x) - f(x))| over [lo, hi], and that error. With
w = 1 / f the error is p's relative error. Each round solves for p and the levelled error on a
reference of degree + 2 points, then moves the reference to the alternating extrema of the
error on a fine grid.

Needs mpmath (Debian's python3-mpmath, which bench/pytorch.sh brings in with python3-torch).
"""
import struct

import mpmath as mp

mp.mp.dps = 40


def remez(f, w, degree, lo, hi, iterations=30, grid_points=4000):
    lo, hi = mp.mpf(lo), mp.mpf(hi)
    n = degree + 2               # unknowns: degree + 1 coefficients and the levelled error
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    xs = sorted(mid + half * mp.cos(mp.pi * (2 * i + 1) / (2 * n)) for i in range(n))
    grid = [lo + (hi - lo) * k / grid_points for k in range(grid_points + 1)]
    fs = [f(g) for g in grid]
    ws = [w(g) for g in grid]
    c, worst = None, None
    for _ in range(iterations):
        a = mp.matrix(n, n)
        b = mp.matrix(n, 1)
        for i, x in enumerate(xs):
            for j in range(degree + 1):
                a[i, j] = x ** j
            wx = w(x)
            a[i, degree + 1] = (-1) ** i / (wx if wx != 0 else mp.mpf("1e-30"))
            b[i] = f(x)
        sol = mp.lu_solve(a, b)
        c = [sol[j] for j in range(degree + 1)]
        errs = [ws[k] * (mp.polyval(c[::-1], grid[k]) - fs[k]) for k in range(len(grid))]
        worst = max(abs(e) for e in errs)
        # New reference: the local extrema of the error, alternating in sign, n of them with the
        # largest smallest magnitude.
        ext = [(grid[k], errs[k]) for k in range(len(grid))
               if k in (0, len(grid) - 1) or (abs(errs[k]) >= abs(errs[k - 1]) and abs(errs[k]) >= abs(errs[k + 1]))]
        alt = []
        for x, e in ext:
            if alt and mp.sign(alt[-1][1]) == mp.sign(e):
                if abs(e) > abs(alt[-1][1]):
                    alt[-1] = (x, e)
            else:
                alt.append((x, e))
        if len(alt) >= n:
            start = max(range(len(alt) - n + 1), key=lambda s: min(abs(e) for _, e in alt[s:s + n]))
            xs = [x for x, _ in alt[start:start + n]]
    return c, worst


def as_float(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]
