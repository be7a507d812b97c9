# The two commands of the README: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: install run test demo browser clean

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

# Chromium and CJK fonts for the browser tests, from Debian's packages, when missing.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: install browser
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
