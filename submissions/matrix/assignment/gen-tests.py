#!/usr/bin/env python3
"""Regenerates tests/*.in and tests/*.out for the matrix assignment (deterministic).

Expected products are computed exactly with fractions.Fraction and printed with 15
significant digits; the float checker compares within the spec's tolerance.
Run from anywhere: python3 gen-tests.py
"""
import os
import random
from fractions import Fraction

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests")


def fmt(x):
    if isinstance(x, Fraction) and x.denominator == 1:
        return str(x.numerator)
    return "%.15g" % float(x)


def dump(rows):
    return "%d %d\n" % (len(rows), len(rows[0])) + "".join(
        " ".join(fmt(v) if isinstance(v, Fraction) else str(v) for v in r) + "\n" for r in rows)


def product(a, b):
    fa = [[Fraction(str(v)) for v in r] for r in a]
    fb = [[Fraction(str(v)) for v in r] for r in b]
    return [[sum(fa[i][k] * fb[k][j] for k in range(len(fb))) for j in range(len(fb[0]))]
            for i in range(len(fa))]


def write(name, a, b):
    with open(os.path.join(here, name + ".in"), "w") as f:
        f.write(dump(a) + dump(b))
    with open(os.path.join(here, name + ".out"), "w") as f:
        if len(a[0]) != len(b):
            f.write("incompatible\n")
        else:
            f.write(dump(product(a, b)))


os.makedirs(here, exist_ok=True)
write("identity", [[1, 2], [3, 4]], [[1, 0], [0, 1]])
write("rect", [[1, -2, 3], [0, 4, -5]], [[2, 0, 1, -1], [3, 1, 0, 2], [-1, 2, 2, 0]])
write("incompatible", [[1, 2, 3], [4, 5, 6]], [[1, 2], [3, 4]])
# Cancellation: 100000.001 - 100000 = 0.001 is exact in decimal, off by ~4e-12 in double and
# 0 in single precision (float has ~7 digits), so float-based solutions fail this test.
write("fractions",
      [["100000.001", "-100000"], ["0.1", "0.2"], ["0.001", "2500.5"]],
      [["1", "0.5", "3"], ["1", "0.5", "2.999"]])
rng = random.Random(20261127)
write("large",
      [[rng.randint(-9, 9) for _ in range(50)] for _ in range(60)],
      [[rng.randint(-9, 9) for _ in range(40)] for _ in range(50)])
