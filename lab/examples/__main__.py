"""python -m lab.examples OUT: write the example class (see lab/examples/__init__.py)."""

import argparse
import sys
from pathlib import Path

from autograder.exitcodes import Parser
from lab.examples import __doc__ as DOC
from lab.examples import write_examples, write_manifest


def main(argv=None) -> int:
    ap = Parser(prog="python -m lab.examples", description=DOC, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="folder to write <example>/convnets/*.ipynb and examples.json into")
    ap.add_argument("--only", nargs="*", help="example names (default: all)")
    ap.add_argument("--notebook", action="append", help="only examples of these notebooks (default: all)")
    args = ap.parse_args(argv)
    written = write_examples(args.out, args.only, args.notebook)
    write_manifest(args.out, written, args.notebook)
    print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
