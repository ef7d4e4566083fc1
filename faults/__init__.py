"""The fault campaign (`make faults`): real processes on loopback, faults injected, and the
record checked afterwards for lost events, duplicates and stuck workflows.

Each scenario is a module here exposing `run(scale, workdir) -> Outcome`; `python -m faults`
runs them all at full scale and prints the table. `tests/e2e/test_fault_scenarios.py` runs
each at short scale inside `make test`.
"""
