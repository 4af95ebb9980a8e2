#!/usr/bin/env python3
"""Coefficients of the polynomial in ErfcKernels (ERFCX_Q0 .. ERFCX_Q10).

erfc(z) = t exp(-z^2) Q(t) with t = 1 / (1 + z/2), z >= 0: t runs over (0, 1] as z runs from
infinity down to 0, and Q(t) = erfc(z) exp(z^2) / t is smooth there, from 1 / (2 sqrt(pi)) at
t = 0 to 1 at t = 1. Q of degree 10 minimises its largest relative error over [0, 1]
(bench/minimax.py); the kernels take exp(-z^2) from their first pass. Prints the largest relative
error before rounding and each coefficient as the float the kernels use.

    /usr/bin/python3 bench/erfc_minimax.py
"""
import mpmath as mp

from minimax import as_float, remez


def q(t):
    if t == 0:
        return 1 / (2 * mp.sqrt(mp.pi))
    z = 2 / t - 2
    return mp.erfc(z) * mp.exp(z * z) / t


if __name__ == "__main__":
    coeffs, err = remez(q, lambda t: 1 / q(t), 10, 0, 1, grid_points=2000)
    print("largest relative error before rounding:", mp.nstr(err, 5))
    for j, cj in enumerate(coeffs):
        print(f"ERFCX_Q{j} = {as_float(cj)!r}f")
