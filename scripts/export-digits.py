#!/usr/bin/env python3
"""Exports scikit-learn's bundled 8x8 digits as a CSV for `simsgd run mlp --data`.

The data set ships inside scikit-learn (no download): 1,797 images of
handwritten digits, 8x8 pixels with integer values 0..16, 10 classes
(UCI "Optical Recognition of Handwritten Digits", its test part). Each row
is one image: the 64 pixel values in row-major order (columns p0..p63),
then its label 0..9 (column `label`), after a header row. simsgd
standardises the features by default (`--raw-features` keeps 0..16).

    pip install scikit-learn
    python3 scripts/export-digits.py digits.csv
    simsgd run mlp --data digits.csv --hidden 32 --eta 0.05 --steps 2000 --trials 200

With `--shuffle-seed S` the rows are shuffled by a NumPy generator seeded
with S (the order does not matter to simsgd, which draws batches by index).
"""

import argparse
import csv
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", help="the CSV file to write ('-' for stdout)")
    parser.add_argument("--shuffle-seed", type=int, default=None, help="shuffle the rows with this seed")
    args = parser.parse_args()
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("export-digits: scikit-learn is needed: pip install scikit-learn", file=sys.stderr)
        return 2
    digits = load_digits()
    images, labels = digits.data, digits.target
    order = list(range(len(labels)))
    if args.shuffle_seed is not None:
        import numpy as np

        order = list(np.random.default_rng(args.shuffle_seed).permutation(len(labels)))
    out = sys.stdout if args.out == "-" else open(args.out, "w", newline="")
    with out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow([f"p{j}" for j in range(images.shape[1])] + ["label"])
        for i in order:
            w.writerow([int(v) for v in images[i]] + [int(labels[i])])
    if args.out != "-":
        counts = [int((labels == k).sum()) for k in range(10)]
        print(f"export-digits: {len(labels)} images, {images.shape[1]} pixels, classes 0-9 ({counts}) -> {args.out}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
