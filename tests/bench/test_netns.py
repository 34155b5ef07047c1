"""bench/netns.py: hosts made of network namespaces reach each other, carry their own name, leave nothing behind.

Needs root and iproute2, as the multi-host run does; without them these tests fail rather than skip. They use
a subnet, bridge and names of their own, so a multi-host run in progress is not disturbed.
"""

import subprocess

from bench.netns import PROBE_PORT, Host, Network, cleanup

HOSTS = (Host("wft-a", "10.78.0.10", "wftv-a"), Host("wft-b", "10.78.0.20", "wftv-b"))
BRIDGE = "wft-br0"


def _left_behind() -> list[str]:
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return [name for name in ("wft-a", "wft-b") if name in namespaces] + [
        name for name in ("wftv-a", "wftv-b", BRIDGE) if f" {name}:" in links or f" {name}@" in links
    ]


def test_hosts_reach_each_other_and_the_root_namespace_and_are_gone_afterwards():
    with Network(HOSTS, bridge=BRIDGE, gateway="10.78.0.1") as network:
        assert network.check_mesh() == []
        # Host b's loopback is its own: nothing of host a's is reached there.
        assert network.probe(HOSTS[1], [("127.0.0.1", PROBE_PORT)]) == {f"127.0.0.1:{PROBE_PORT}": "refused"}
        assert _left_behind() == ["wft-a", "wft-b", "wftv-a", "wftv-b", BRIDGE]

    assert _left_behind() == []


def test_a_process_started_in_a_host_sees_the_host_name_as_its_hostname():
    with Network(HOSTS, bridge=BRIDGE, gateway="10.78.0.1") as network:
        assert [network.hostname_of(host) for host in HOSTS] == ["wft-a", "wft-b"]


def test_cleanup_removes_what_a_crashed_run_left_and_is_harmless_when_nothing_is_there():
    Network(HOSTS, bridge=BRIDGE, gateway="10.78.0.1").create()  # a run that never reached its teardown

    removed = cleanup(HOSTS, BRIDGE)

    assert "netns wft-a" in removed and f"bridge {BRIDGE}" in removed
    assert _left_behind() == []
    assert cleanup(HOSTS, BRIDGE) == []
