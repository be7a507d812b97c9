"""Every number and setting has one home: settings.toml, documented in the README, never repeated in code."""
from __future__ import annotations

import re
import tomllib

from tests.server import ROOT

CODE_DIRS = ("pipelines", "pages", "ui", "alerts")
CODE_FILES = ("app.py", "api.py")


def _code_files():
    for name in CODE_FILES:
        yield ROOT / name
    for folder in CODE_DIRS:
        if (ROOT / folder).is_dir():
            yield from (ROOT / folder).rglob("*.py")
            yield from (ROOT / folder).rglob("*.sql")


def test_every_setting_is_documented_in_readme():
    """Each key of settings.toml is named in the README's configuration table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    settings = tomllib.loads((ROOT / "settings.toml").read_text(encoding="utf-8"))
    missing = [f"{section}.{key}" for section, values in settings.items() for key in values
               if f"`{section}.{key}`" not in readme]
    assert missing == []


def test_rate_targets_appear_only_in_settings():
    """The 75% and 80% targets are not written as literals anywhere in the product's code."""
    pattern = re.compile(r"(?<![\w.])0?\.(75|80?)(?![\d])")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in _code_files()
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line.split("#")[0].split("--")[0])]
    assert offenders == []
