# The two commands of the README: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: install run test demo browser office clean wheelhouse offline-install

install: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $(STAMP)

# Loads the demo county only into an empty database, then serves the dashboard.
run: install
	@echo "招引智控：正在准备演示数据（首次启动约需半分钟，已有数据的数据库不会改动）……"
	$(BIN)/python -m pipelines.demo
	@echo "招引智控：正在启动服务，请在浏览器打开 http://localhost:$(PORT)"
	$(BIN)/streamlit run app.py --server.port $(PORT)

demo: install
	$(BIN)/python -m pipelines.demo

# Chromium and CJK fonts for the browser tests and nginx for the HTTPS deployment test, from Debian's packages,
# when missing.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
			|| ! { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1; then \
		echo "installing chromium, fonts-noto-cjk and nginx-light"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk nginx-light >/dev/null; \
	fi

# LibreOffice (Writer) and poppler's pdftotext for the 通报's PDF test, from Debian's packages, when missing.
office:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then \
		echo "installing libreoffice-writer-nogui and poppler-utils"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui poppler-utils >/dev/null; \
	fi

test: install browser office
	$(BIN)/python -m pytest -q

# An install without internet access (county servers on the 政务外网 rarely reach a package index): on a machine
# that has it, `make wheelhouse` downloads every runtime wheel into $(WHEELHOUSE) (for another server's platform:
# `make wheelhouse WHEEL_PLATFORM=win_amd64 WHEEL_PYTHON=3.11`); copy the folder with the code to the server and run
# `make offline-install` there, which installs from the folder alone. WITH_TESTS=1 adds the test dependencies.
WHEELHOUSE ?= wheelhouse
WHEEL_PYTHON ?= 3.11
WHEEL_REQUIREMENTS := -r requirements.txt $(if $(WITH_TESTS),-r requirements-test.txt)
wheelhouse:
	$(PYTHON) -m pip download --quiet --only-binary=:all: --dest $(WHEELHOUSE) $(WHEEL_REQUIREMENTS) \
		$(if $(WHEEL_PLATFORM),--platform $(WHEEL_PLATFORM) --python-version $(WHEEL_PYTHON) --implementation cp)
	@echo "已下载到 $(WHEELHOUSE)/（$$(ls $(WHEELHOUSE) | wc -l) 个文件）：连同代码复制到服务器后运行 make offline-install"

offline-install:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIP_CONFIG_FILE=/dev/null $(BIN)/python -m pip install --quiet --no-index --find-links $(WHEELHOUSE) $(WHEEL_REQUIREMENTS)
	touch $(STAMP)
	@echo "已从 $(WHEELHOUSE)/ 离线安装完成，用 make run 启动。"

clean:
	rm -rf $(VENV) .pytest_cache
