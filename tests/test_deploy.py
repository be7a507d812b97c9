"""The offline install of the README's 部署 section, done here: `make wheelhouse` downloads every runtime wheel into a
folder, then `make offline-install` builds a fresh environment from that folder alone, with the package index
switched off and no pip configuration, and the product's modules import in it."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.server import ROOT


def _make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)


def test_offline_install_from_a_wheelhouse(tmp_path):
    wheels, venv = tmp_path / "wheelhouse", tmp_path / "venv"
    downloaded = _make("wheelhouse", f"PYTHON={sys.executable}", f"WHEELHOUSE={wheels}", env=dict(os.environ))
    assert downloaded.returncode == 0, downloaded.stderr
    assert "离线安装" not in downloaded.stdout and "make offline-install" in downloaded.stdout
    names = [p.name for p in wheels.iterdir()]
    assert names and all(name.endswith(".whl") for name in names)  # wheels only: nothing to build on the server
    assert any(name.startswith("streamlit-") for name in names) and any(name.startswith("duckdb-") for name in names)

    # The server: no index, no pip configuration, no find-links but the folder, an index address that cannot answer.
    offline = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    offline.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL="http://127.0.0.1:9/simple",
                   PIP_DISABLE_PIP_VERSION_CHECK="1")
    installed = _make("offline-install", f"PYTHON={sys.executable}", f"VENV={venv}", f"WHEELHOUSE={wheels}",
                      env=offline)
    assert installed.returncode == 0, installed.stderr
    assert "离线安装完成" in installed.stdout
    assert (venv / ".installed").exists()  # `make run` then starts without installing again
    imported = subprocess.run([str(venv / "bin" / "python"), "-c",
                               "import app, api, alerts.scheduler, pipelines.demo, pipelines.bulletin.word; print('ok')"],
                              check=False, cwd=ROOT, env=offline, capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "ok"
