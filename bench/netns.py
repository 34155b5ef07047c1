"""Hosts as Linux network namespaces: one bridge in the root namespace, one veth pair per host, 10.77.0.0/24.

Run as root. Each host is a namespace of the same name with its own loopback and one interface (eth0) on
the bridge; the root namespace holds 10.77.0.1 (the load client's side, like a proxy in front of the web
host). Processes run in a host through ``Network.prefix(host)``: ``ip netns exec`` plus ``unshare --uts``
and ``hostname``, so ``socket.gethostname()`` in the process is the host's name (ops.tasks writes it into
the Heartbeat rows' detail: "run by wf-worker-dispatch").

Only names this module owns are ever deleted: the namespaces in ``HOSTS``, their veth ends and ``BRIDGE``.
``cleanup()`` removes leftovers of a crashed run and is safe to call when nothing is there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

SUBNET = "10.77.0.0/24"
BRIDGE = "wf-br0"
GATEWAY = "10.77.0.1"  # the root namespace's address on the bridge


@dataclass(frozen=True)
class Host:
    name: str  # the namespace and the hostname its processes see
    address: str
    veth: str  # the root namespace's end of the pair (15 characters at most)


DB = Host("wf-db", "10.77.0.10", "wfv-db")
WEB = Host("wf-web", "10.77.0.20", "wfv-web")
WORKER_DISPATCH = Host("wf-worker-dispatch", "10.77.0.31", "wfv-wdisp")
WORKER_MESSAGES = Host("wf-worker-messages", "10.77.0.32", "wfv-wmsg")
WORKER_ANALYTICS = Host("wf-worker-analytics", "10.77.0.33", "wfv-wana")
BEAT = Host("wf-beat", "10.77.0.40", "wfv-beat")
HOSTS = (DB, WEB, WORKER_DISPATCH, WORKER_MESSAGES, WORKER_ANALYTICS, BEAT)

# A TCP connect to this port on a reachable host is refused at once (nothing listens): reachability without
# ping, which this machine does not have. An unreachable host times out instead.
PROBE_PORT = 9
_PROBE = """
import json, socket, sys
out = {}
for address, port in json.loads(sys.argv[1]):
    try:
        socket.create_connection((address, port), timeout=float(sys.argv[2])).close()
        out[f"{address}:{port}"] = "open"
    except ConnectionRefusedError:
        out[f"{address}:{port}"] = "refused"
    except OSError as error:
        out[f"{address}:{port}"] = f"unreachable ({error.__class__.__name__})"
print(json.dumps(out))
"""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=20)  # noqa: S603, S607


def _namespaces() -> set[str]:
    listed = ip("netns", "list").stdout.split("\n")
    return {line.split()[0] for line in listed if line.strip()}


def _link_exists(name: str) -> bool:
    return ip("link", "show", name, check=False).returncode == 0


def cleanup(hosts: tuple[Host, ...] = HOSTS, bridge: str = BRIDGE) -> list[str]:
    """Delete these hosts' namespaces and veth ends and the bridge wherever they are left; what was removed."""
    removed = []
    present = _namespaces()
    for host in hosts:
        if host.name in present:
            ip("netns", "del", host.name, check=False)  # takes the namespace's veth end, and so the pair
            removed.append(f"netns {host.name}")
        if _link_exists(host.veth):
            ip("link", "del", host.veth, check=False)
            removed.append(f"link {host.veth}")
    if _link_exists(bridge):
        ip("link", "del", bridge, check=False)
        removed.append(f"bridge {bridge}")
    return removed


class Network:
    """``with Network() as net:`` creates the hosts and the bridge, and deletes them on the way out."""

    def __init__(self, hosts: tuple[Host, ...] = HOSTS, *, bridge: str = BRIDGE, gateway: str = GATEWAY) -> None:
        self.hosts, self.bridge, self.gateway = hosts, bridge, gateway

    def __enter__(self) -> Network:
        try:
            self.create()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.destroy()

    def destroy(self) -> list[str]:
        return cleanup(self.hosts, self.bridge)

    def create(self) -> None:
        leftovers = self.destroy()
        if leftovers:
            print(f"removed leftovers of an earlier run: {', '.join(leftovers)}", file=sys.stderr)
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host in self.hosts:
            ip("netns", "add", host.name)
            ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            ip("link", "set", host.veth, "master", self.bridge)
            ip("link", "set", host.veth, "up")
            ip("-n", host.name, "link", "set", "lo", "up")
            ip("-n", host.name, "addr", "add", f"{host.address}/24", "dev", "eth0")
            ip("-n", host.name, "link", "set", "eth0", "up")

    @staticmethod
    def prefix(host: Host) -> list[str]:
        """The command prefix running a program in ``host``: its network, and its name as the hostname."""
        return [
            "ip",
            "netns",
            "exec",
            host.name,
            "unshare",
            "--uts",
            "sh",
            "-c",
            'hostname "$0" && exec "$@"',
            host.name,
        ]

    def probe(self, source: Host | None, targets: list[tuple[str, int]], *, timeout: float = 2.0) -> dict[str, str]:
        """TCP connects from ``source`` (None: the root namespace) to each (address, port): open, refused
        (reachable, nothing listening) or unreachable. Bounded: ``timeout`` seconds per target."""
        command = [sys.executable, "-c", _PROBE, json.dumps(targets), str(timeout)]
        if source is not None:
            command = ["ip", "netns", "exec", source.name, *command]
        done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=10 + timeout * len(targets))  # noqa: S603
        return json.loads(done.stdout)

    def check_mesh(self) -> list[str]:
        """Every host (and the root namespace) reaches every other host's address; the failures."""
        failures = []
        for source in (None, *self.hosts):
            targets = [(h.address, PROBE_PORT) for h in self.hosts if h is not source]
            if source is not None:
                targets.append((self.gateway, PROBE_PORT))
            for target, outcome in self.probe(source, targets).items():
                if outcome != "refused":
                    failures.append(f"{source.name if source else 'root'} → {target}: {outcome}")
        return failures

    def hostname_of(self, host: Host) -> str:
        done = subprocess.run([*self.prefix(host), "hostname"], check=True, capture_output=True, text=True, timeout=10)  # noqa: S603
        return done.stdout.strip()


if __name__ == "__main__":
    if "--cleanup" in sys.argv:
        print("\n".join(cleanup()) or "nothing to clean up")
    else:
        with Network() as network:
            problems = network.check_mesh()
            print("mesh ok" if not problems else "\n".join(problems))
            print({host.name: network.hostname_of(host) for host in network.hosts})
