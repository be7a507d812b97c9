"""A real dashboard server for tests: `streamlit run app.py` on a free port, ready when /_stcore/health says ok."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Flags that keep Chromium from calling out on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


@contextlib.contextmanager
def running_server(db_path: Path, extra_env: dict[str, str] | None = None, startup_s: float = 60) -> Iterator[str]:
    """Start the server on db_path; yield its base URL; stop it (and fail loudly if it never came up)."""
    port = free_port()
    env = {**os.environ, "ZS_DB": str(db_path), **(extra_env or {})}
    log = (db_path.parent / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {(db_path.parent / log.name).read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                if get(f"{base}/_stcore/health", timeout=2) == b"ok":
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy in time")
            time.sleep(0.3)
        yield base
    except BaseException:  # a failing browser test shows what the server said (pytest prints captured stderr)
        log.flush()
        print(f"server log:\n{(db_path.parent / log.name).read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# The page's script run is over and nothing on it is stale: the page as its reader finally sees it.
_RUN_OVER = """(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null && app.dataset.testScriptState === 'notRunning'
        && document.querySelectorAll('[data-stale="true"]').length === 0;
})()"""


def wait_run_over(page, also: str = "true", timeout: float = 60000) -> None:
    """In a browser page: wait until the script run is over, nothing is stale and the JavaScript condition `also`
    (what this page must show, e.g. its cards) holds."""
    page.wait_for_function(f"() => {_RUN_OVER} && ({also})", timeout=timeout)
