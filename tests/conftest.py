"""Settings every test process shares, made before any test module imports the project."""

from __future__ import annotations

import os

# Rich reads COLUMNS once, when a Console is made, and the CLI makes its Console once per
# process, at its first import. Without a width set here, the width a test's CLI output has
# (and so whether a long region or event type is cut) would depend on which test imported the
# CLI first, and under what environment: tests would pass or fail by their order.
os.environ["COLUMNS"] = "200"
