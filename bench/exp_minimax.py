#!/usr/bin/env python3
"""Coefficients of the polynomial in SimdKernels.expOfReduced (E_Q2 .. E_Q6).

e^r = 1 + r + r^2 q(r) on |r| <= ln2/2 (a hair wider, for the rounding of k), with q of degree 4
chosen to minimise the largest relative error of e^r: a Remez exchange in 40-digit arithmetic
on the weighted problem w(r) (q(r) - f(r)), f = (e^r - 1 - r) / r^2, w = r^2 / e^r. Prints the
largest relative error before rounding and each coefficient as the float the kernel uses.

Needs mpmath (Debian's python3-mpmath, which bench/pytorch.sh brings in with python3-torch):
    /usr/bin/python3 bench/exp_minimax.py
"""
import struct

import mpmath as mp

mp.mp.dps = 40
HALF_RANGE = mp.log(2) / 2 * mp.mpf("1.0001")
DEGREE = 4                       # q's degree: the polynomial for e^r has degree 6
GRID = 4000


def f(r):
    return (mp.e ** r - 1 - r) / r ** 2 if r != 0 else mp.mpf(1) / 2


def weight(r):
    return r ** 2 / mp.e ** r


def rel_error(c, r):
    q = sum(cj * r ** j for j, cj in enumerate(c))
    return (1 + r + r * r * q - mp.e ** r) / mp.e ** r


def remez(iterations=30):
    n = DEGREE + 2               # unknowns: DEGREE + 1 coefficients and the levelled error
    xs = sorted(HALF_RANGE * mp.cos(mp.pi * (2 * i + 1) / (2 * n)) for i in range(n))
    grid = [-HALF_RANGE + 2 * HALF_RANGE * k / GRID for k in range(GRID + 1)]
    c, worst = None, None
    for _ in range(iterations):
        a = mp.matrix(n, n)
        b = mp.matrix(n, 1)
        for i, x in enumerate(xs):
            for j in range(DEGREE + 1):
                a[i, j] = x ** j
            a[i, DEGREE + 1] = (-1) ** i / (weight(x) if x != 0 else mp.mpf("1e-30"))
            b[i] = f(x)
        sol = mp.lu_solve(a, b)
        c = [sol[j] for j in range(DEGREE + 1)]
        errs = [rel_error(c, g) for g in grid]
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


if __name__ == "__main__":
    coeffs, err = remez()
    print("largest relative error before rounding:", mp.nstr(err, 5))
    for j, cj in enumerate(coeffs):
        print(f"E_Q{j + 2} = {as_float(cj)!r}f")
