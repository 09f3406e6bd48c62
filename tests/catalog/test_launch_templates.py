"""catalog/launch.yaml: every template loads, names only documented options, and each engine the
plan can choose by default has a way to be launched."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from optimizer.catalog.efficiency import load_engines
from optimizer.catalog.launch_templates import LaunchTemplate, load_launch_templates, template_for


def _template(**over):  # type: ignore[no-untyped-def]
    body = {"style": "sglang", "engines": ["sglang"], "version": "0.5", "command": "python -m sglang.launch_server",
            "options": {"tp": "--tp-size"}, "documented_options": ["--tp-size"],
            "provenance": {"source": "https://github.com/sgl-project/sglang", "date": "2026-01"}}
    body.update(over)
    return LaunchTemplate.model_validate(body)


def test_a_misspelt_option_is_refused_at_load():
    assert _template().options["tp"] == "--tp-size"
    with pytest.raises(ValidationError, match="not among documented_options"):
        _template(options={"tp": "--tp_size"})


def test_an_unknown_setting_is_refused():
    with pytest.raises(ValidationError, match="unknown settings"):
        _template(options={"tensor": "--tp-size"})


def test_shipped_templates_cover_every_default_engine_and_only_known_engines():
    templates, engines = load_launch_templates(), load_engines()
    launched = {e for t in templates.values() for e in t.engines}
    assert launched <= set(engines), launched - set(engines)
    defaults = {e for e, p in engines.items() if p.default_for}
    assert defaults <= launched, defaults - launched
    assert template_for("no-such-engine") is None
