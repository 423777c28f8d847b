#!/usr/bin/env python3
"""Export scikit-learn's bundled 8x8 digits to CSV for `simsgd run mlp --data`.

The real-data example of the network study (issue 14; seed 003 App. A.2
trains on MNIST, which a user may not have): 1,797 images of handwritten
digits, 8x8 pixels of 0..16 each, 10 classes. It ships inside scikit-learn
(sklearn.datasets.load_digits reads a file in the package; nothing is
downloaded).

Writes one row per image: the 64 pixel values, then the label, after a
header `p0,...,p63,label` (simsgd's CSV loader: features..., label; a first
row that is not numbers is a header). Pixels are written as the integers
0..16 the data set holds; simsgd standardises features on the training set
unless --raw-features is given.

    python3 scripts/export-digits.py [--out digits.csv] [--test-fraction 0.2 --test-out digits-test.csv] [--seed 0]

With --test-fraction, a stratified random split (scikit-learn's
train_test_split, --seed) writes the held-out rows to --test-out.
Needs scikit-learn (`python3 -m pip install scikit-learn`).
"""

import argparse
import csv
import sys


def write(path, images, labels):
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow([f"p{i}" for i in range(images.shape[1])] + ["label"])
        for x, y in zip(images, labels):
            out.writerow([int(v) for v in x] + [int(y)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="digits.csv", help="the CSV to write (default digits.csv)")
    parser.add_argument("--test-fraction", type=float, default=0.0, help="hold this fraction out (0: none)")
    parser.add_argument("--test-out", default="digits-test.csv", help="the held-out CSV (with --test-fraction)")
    parser.add_argument("--seed", type=int, default=0, help="the split's random state")
    args = parser.parse_args()
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        sys.exit("export-digits.py: needs scikit-learn (python3 -m pip install scikit-learn)")
    if not 0.0 <= args.test_fraction < 1.0:
        sys.exit(f"export-digits.py: --test-fraction must be in [0, 1), not {args.test_fraction}")
    digits = load_digits()
    images, labels = digits.data, digits.target
    assert images.shape == (1797, 64) and sorted(set(labels)) == list(range(10))
    if args.test_fraction > 0:
        images, test_images, labels, test_labels = train_test_split(
            images, labels, test_size=args.test_fraction, stratify=labels, random_state=args.seed
        )
        write(args.test_out, test_images, test_labels)
        print(f"{args.test_out}: {len(test_labels)} images", file=sys.stderr)
    write(args.out, images, labels)
    print(f"{args.out}: {len(labels)} images, 64 features, 10 classes", file=sys.stderr)


if __name__ == "__main__":
    main()
