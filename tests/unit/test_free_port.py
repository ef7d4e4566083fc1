"""The free ports tests and the fault campaign ask for: free, and outside the range the OS
hands to other processes meanwhile, so a server restarted on its port finds it still free."""

from __future__ import annotations

import socket
from pathlib import Path

from faults.processes import free_port


def test_a_free_port_is_below_the_systems_ephemeral_range_and_can_be_bound() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_port() for _ in range(20)}

    assert all(1024 <= port < low for port in ports), sorted(ports)
    assert len(ports) > 1  # drawn at random, so parallel callers rarely meet
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", port))
