"""A real `neuroshard` node for the Python tests: `--token T --port P` (0: any free ports) and any
other flags, its log in a file, ready once it prints its addresses, stopped with SIGTERM. It dies
with the test's process, so a test killed on a timeout leaves no node behind."""
import os
import re
import subprocess
import tempfile
import time

READY = re.compile(r"^node (\w+) role (\S+) layers \S+ http (\S+) grpc (\S+)$", re.M)


def die_with_parent():
    """Run in the node's process before exec (Linux): SIGTERM it when the test's process dies."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 15)  # PR_SET_PDEATHSIG, SIGTERM
    except (OSError, AttributeError):
        pass


class Node:
    """`id`, `role`, `http` (a URL) and `grpc` (host:port) come from the node's ready line."""

    def __init__(self, binary, token, *extra, port=0, ready_within=30):
        self.log = tempfile.NamedTemporaryFile(prefix="neuroshard-test-", suffix=".log", delete=False)
        self.process = subprocess.Popen([binary, "--token", token, "--port", str(port), *extra],
                                        stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        deadline = time.time() + ready_within
        while True:
            ready = READY.search(self.output())
            if ready:
                self.id, self.role, self.http, self.grpc = ready.groups()
                return
            if self.process.poll() is not None or time.time() > deadline:
                output = self.output()
                self.stop()
                raise AssertionError(f"the node was not ready within {ready_within} s:\n{output}")
            time.sleep(0.05)

    def output(self):
        """Everything the node printed so far."""
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM (SIGKILL if it has not exited after 30 s); its exit status. What it printed
        stays readable in `printed`."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if os.path.exists(self.log.name):
            self.printed = self.output()
            os.remove(self.log.name)
        return self.process.returncode
