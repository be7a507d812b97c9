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
	$(BIN)/python -m pipelines.demo
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
