"""The offline install of the README's 部署 section, done here: `make wheelhouse` downloads every runtime wheel into a
folder, then `make offline-install` builds a fresh environment from that folder alone, with the package index
switched off and no pip configuration, and the product's modules import in it. And the nginx configuration of the
same section, run as it stands in front of a real server over HTTPS."""
from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.access import Actor
from pipelines.admin import users
from tests.server import ROOT, free_port, running_server
from tests.test_auth_ui import log_in


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


def _nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def _served_through(config: str, tmp_path: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """The README's nginx config made to run here: the product's port, local ports for 80 and 443, a self-signed
    certificate; wrapped in a main config whose files all stay in tmp_path."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(tmp_path / "site.key"), "-out", str(tmp_path / "site.crt")],
                   check=True, capture_output=True, timeout=60)
    site = (config.replace("127.0.0.1:8501", f"127.0.0.1:{app_port}")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
            .replace("/etc/nginx/ssl/zhaoshang.crt", str(tmp_path / "site.crt"))
            .replace("/etc/nginx/ssl/zhaoshang.key", str(tmp_path / "site.key")))
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(f"  {kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp_path / "nginx.conf"
    main.write_text(("user root;\n" if os.geteuid() == 0 else "") +
                    f"worker_processes 1;\nerror_log {tmp_path / 'error.log'};\npid {tmp_path / 'nginx.pid'};\n"
                    "events { worker_connections 256; }\n"
                    f"http {{\n  access_log {tmp_path / 'access.log'};\n{temp}\n  include {tmp_path / 'site.conf'};\n}}\n")
    return main


@pytest.mark.skipif(_nginx() is None, reason="nginx is not installed (make test installs nginx-light)")
def test_https_behind_nginx_with_the_readme_config(units, tmp_path, browser):
    """docs/deploy/nginx.conf as it stands: plain HTTP is sent to HTTPS; over HTTPS a user logs in (the session
    cookie marked Secure) and a page draws, which needs the WebSocket passed through; the API answers."""
    users.create_demo_accounts(units, Actor("演示数据", "admin"))
    units.close()
    http_port, https_port = free_port(), free_port()
    with running_server(tmp_path / "test.duckdb", {"ZS_AUTH_COOKIE_SECURE": "true"}) as base:
        app_port = int(base.rsplit(":", 1)[1])
        config = _served_through((ROOT / "docs" / "deploy" / "nginx.conf").read_text(), tmp_path, app_port,
                                 http_port, https_port)
        checked = subprocess.run([_nginx(), "-t", "-c", str(config)], check=False, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([_nginx(), "-c", str(config), "-g", "daemon off;"], stderr=subprocess.PIPE)
        try:
            time.sleep(1)
            redirect = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            redirect.request("GET", "/projects")
            answer = redirect.getresponse()
            assert answer.status == 301 and answer.getheader("Location").startswith("https://")

            secure = f"https://127.0.0.1:{https_port}"
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 768})
            page = context.new_page()
            log_in(page, secure, "u01", "demo")
            assert [c["secure"] for c in context.cookies() if c["name"] == users.SESSION_COOKIE] == [True]
            page.goto(f"{secure}/projects")
            page.get_by_role("heading", name="项目库").wait_for(timeout=30000)
            assert page.locator("[data-testid='stException']").count() == 0
            health = page.request.get(f"{secure}/_stcore/health")
            assert health.ok and health.text() == "ok"
            context.close()
        finally:
            nginx.terminate()
            nginx.wait(timeout=20)
