"""`python -m grader.data list|fetch NAME|verify`: the same as `grader data ...`."""
import sys

from grader.data.cli import main

sys.exit(main(sys.argv[1:]))
