"""`python -m loadtest` (see loadtest/runner.py)."""

from loadtest.runner import main

raise SystemExit(main())
