#!/usr/bin/env python3
"""Regenerates tests/big.in and tests/big.out (deterministic: fixed seed).

100000 single-digit numbers, 20 per line: exactly 2 bytes a number, about 195 KiB, so the
file can live in the repository. Run from anywhere: python3 gen-tests.py
"""
import os
import random

here = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261127)
n = 100000
nums = [rng.randrange(10) for _ in range(n)]
lines = [" ".join(str(x) for x in nums[i:i + 20]) for i in range(0, n, 20)]
with open(os.path.join(here, "tests", "big.in"), "w") as f:
    f.write(f"{n}\n" + "\n".join(lines) + "\n")
with open(os.path.join(here, "tests", "big.out"), "w") as f:
    f.write(f"{sum(nums)}\n")
