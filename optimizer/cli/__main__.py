"""`python -m optimizer.cli`: the same command as `procure` (the tests and benchmarks run it so)."""

from optimizer.cli import main

if __name__ == "__main__":
    main()
