"""Leaving the process once its work is done."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def exit_without_teardown(status: int) -> NoReturn:
    """Flush and exit at once, skipping the interpreter's teardown.

    The Temporal client's native threads can abort that teardown with "Fatal Python error:
    PyGILState_Release" (exit 134, temporalio/sdk-python#300). Callers have finished and
    cleaned up by then, so nothing is lost by skipping it.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
