#!/usr/bin/env python3
"""Writes vectors.tsv: random small patterns and texts, with whether Python's re.search finds a match.

The grammar keeps to what Go's regexp (RE2) and Python's re (with re.ASCII) read the same way: no `{` but as a
count, no stacked quantifiers, no quantified anchors, texts without newline (where `$` differs) or vertical tab
(where `\\s` differs). Deterministic: run it again and the file does not change.

    python3 Tests/Fixtures/pattern/generate.py > Tests/Fixtures/pattern/vectors.tsv
"""
import random
import re

ALPHABET = "ab1-c_."
ATOMS = ["a", "b", "1", "-", r"\.", ".", "[ab]", "[^a]", "[a-c]", "[^0-9]", "[-a]", r"[\d_]", r"\d", r"\w", r"\W", r"\s"]
QUANTIFIERS = ["", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "{2,3}", "{0,1}"]


def expression(rng, depth):
    branches = [sequence(rng, depth) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    return "|".join(branches)


def sequence(rng, depth):
    items = []
    if rng.random() < 0.25:
        items.append("^")
    for _ in range(rng.randint(1, 4)):
        if depth < 2 and rng.random() < 0.2:
            atom = rng.choice(["(", "(?:"]) + expression(rng, depth + 1) + ")"
        else:
            atom = rng.choice(ATOMS)
        items.append(atom + rng.choice(QUANTIFIERS))
    if rng.random() < 0.25:
        items.append("$")
    return "".join(items)


def main():
    rng = random.Random(20240601)
    for _ in range(300):
        pattern = expression(rng, 0)
        compiled = re.compile(pattern, re.ASCII)
        for _ in range(6):
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 8)))
            print(f"{pattern}\t{text}\t{int(compiled.search(text) is not None)}")


main()
