"""`python -m tools.concepts [--quick] [--out docs/]`: writes the guide."""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tools.concepts",
        description="Generate docs/concepts.md and its figures from the "
        "project's code.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes (for tests)"
    )
    parser.add_argument(
        "--out", default="docs", help="output folder (default: docs)"
    )
    args = parser.parse_args(argv)

    from tools.concepts.build import build_guide

    result = build_guide(args.out, quick=args.quick)
    print(
        f"wrote {result['markdown']} and {len(result['images'])} figures; "
        f"{len(result['checks'])} checks, {len(result['failed'])} failed"
    )
    slowest = sorted(result["seconds"].items(), key=lambda kv: -kv[1])[:3]
    print(
        "slowest sections: " + ", ".join(f"{k} {v:.0f} s" for k, v in slowest)
    )
    for check in result["failed"]:
        print(
            f"  MISMATCH {check['section']}: {check['quantity']}: formula "
            f"{check['formula']!r} != measured {check['measured']!r}",
            file=sys.stderr,
        )
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
