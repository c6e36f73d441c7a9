#!/usr/bin/env python3
"""The seed's Python SDK example, unchanged (sdk/python/examples/seed_example.py), against the
node the seed starts: `neuroshard --token YOUR_TOKEN --port 8000`.

The example's URL and token are fixed, so this test needs ports 8000 (HTTP) and 9000 (gRPC)
free and fails at once, saying so, when they are not. Usage: seed_example_test.py
PATH_TO_NEUROSHARD, with the venv's python that scripts/setup.sh prepares (it has the SDK
installed); CLITests/PythonSDKTests runs it.
"""
import ast
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from neuroshard import NEUROLedger, NeuroNode

from live_node import Node

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "sdk", "python", "examples", "seed_example.py")
TOKEN, PORT = "YOUR_TOKEN", 8000


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def port_is_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main(binary):
    for port in (PORT, PORT + 1000):
        check(port_is_free(port), f"port {port} on 127.0.0.1 is taken: the seed example needs "
                                  f"http://localhost:{PORT} (and gRPC on {PORT + 1000}); stop whatever holds it")
    node = Node(binary, TOKEN, port=PORT)
    try:
        node_id, http = node.id, node.http
        check(http == f"http://127.0.0.1:{PORT}", f"the node serves {http}, not port {PORT}")

        # The example, byte for byte the seed's, run from a folder of its own with this venv's python.
        with open(EXAMPLE) as f:
            check("NeuroNode(\"http://localhost:8000\", api_token=\"YOUR_TOKEN\")" in f.read(),
                  f"{EXAMPLE} is not the seed's example")
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        run = subprocess.run([sys.executable, EXAMPLE], cwd=tempfile.gettempdir(), env=env,
                             capture_output=True, timeout=120)
        out = run.stdout.decode("utf-8", "replace")
        print(out, end="")
        check(run.returncode == 0, f"the example exited with {run.returncode}:\n{run.stderr.decode('utf-8', 'replace')}")

        # Node/Role/Layers/Peers, the generated text (it may span lines), Balance.
        lines = out.split("\n")
        check(lines[-1] == "", "the output does not end with a newline")
        lines = lines[:-1]
        check(len(lines) >= 6, f"expected at least 6 lines, got {len(lines)}")
        status = NeuroNode(http, api_token=TOKEN).get_status()
        check(lines[0] == f"Node: {node_id}", f"{lines[0]!r} is not the node's id {node_id}")
        check(status.node_id == node_id, f"the status says {status.node_id}, the ready line {node_id}")
        role = lines[1].removeprefix("Role: ")
        check(lines[1].startswith("Role: ") and role in ("full", "driver", "worker", "validator"),
              f"{lines[1]!r}: not a role")
        check(role == status.role, f"{lines[1]!r}, but the status says {status.role}")
        check(lines[2].startswith("Layers: "), f"{lines[2]!r}: not the layers")
        layers = ast.literal_eval(lines[2].removeprefix("Layers: "))
        check(isinstance(layers, list) and layers and all(isinstance(i, int) for i in layers),
              f"{lines[2]!r}: not a list of layer indices")
        check(layers == status.layers, f"{lines[2]!r}, but the status says {status.layers}")
        check(re.fullmatch(r"Peers: \d+", lines[3]), f"{lines[3]!r}: not a peer count")
        check(int(lines[3].removeprefix("Peers: ")) == status.peer_count, f"{lines[3]!r}, status {status.peer_count}")
        text = "\n".join(lines[4:-1])
        check(text != "", "the inference printed no text")
        metrics = NeuroNode(http, api_token=TOKEN).get_metrics()
        check(metrics.inference.requests_total == 1 and metrics.inference.tokens_generated >= 1,
              f"the node did not run the example's inference: {metrics.inference}")
        balance = re.fullmatch(r"Balance: (-?[0-9.]+(?:e-?\d+)?) NEURO", lines[-1])
        check(balance, f"{lines[-1]!r}: not 'Balance: <number> NEURO'")
        available = NEUROLedger(NeuroNode(http, api_token=TOKEN)).get_balance().available
        check(float(balance.group(1)) == available, f"{lines[-1]!r}, but the wallet holds {available}")
    finally:
        status = node.stop()
    # A node stops cleanly on SIGTERM (it once crashed inside OpenBLAS when it exited under a
    # running training step).
    check(status == 0, f"the node exited with {status} on SIGTERM:\n" + "\n".join(node.printed.splitlines()[-12:]))
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])
