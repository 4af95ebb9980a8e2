#!/usr/bin/env python3
"""Coefficients of the polynomial in SimdKernels.expOfReduced (E_Q2 .. E_Q6).

e^r = 1 + r + r^2 q(r) on |r| <= ln2/2 (a hair wider, for the rounding of k), with q of degree 4
chosen to minimise the largest relative error of e^r: the weighted problem w(r) (q(r) - f(r)),
f = (e^r - 1 - r) / r^2, w = r^2 / e^r (bench/minimax.py). Prints the largest relative error
before rounding and each coefficient as the float the kernel uses.

    /usr/bin/python3 bench/exp_minimax.py
"""
import mpmath as mp

from minimax import as_float, remez

HALF_RANGE = mp.log(2) / 2 * mp.mpf("1.0001")


def f(r):
    return (mp.e ** r - 1 - r) / r ** 2 if r != 0 else mp.mpf(1) / 2


def weight(r):
    return r ** 2 / mp.e ** r


if __name__ == "__main__":
    coeffs, err = remez(f, weight, 4, -HALF_RANGE, HALF_RANGE)
    print("largest relative error before rounding:", mp.nstr(err, 5))
    for j, cj in enumerate(coeffs):
        print(f"E_Q{j + 2} = {as_float(cj)!r}f")
