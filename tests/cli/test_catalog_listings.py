"""`procure cards|models|engines list|show`: filters, JSON, calibration counts, plain text when piped."""

from __future__ import annotations

import json
from collections import Counter

from optimizer.calibration.rows import load_rows
from optimizer.catalog.records import load_cards


def test_cards_list_json_counts_calibration_rows(procure):
    out = json.loads(procure("cards", "list", "--json", expect=0).stdout)
    by_id = {r["id"]: r for r in out}
    assert set(by_id) == set(load_cards())
    counts = Counter(r.card_id for r in load_rows())
    assert all(by_id[c]["calibration_rows"] == counts.get(c, 0) for c in by_id)
    assert by_id["h200"]["calibration_rows"] > 0


def test_cards_filters(procure):
    fp8 = json.loads(procure("cards", "list", "--fp8", "--json", expect=0).stdout)
    assert fp8 and all(r["fp8"] for r in fp8)
    assert "ascend-910b2" not in {r["id"] for r in fp8} and "a100-80g-sxm" not in {r["id"] for r in fp8}
    huawei = json.loads(procure("cards", "list", "--vendor", "huawei", "--min-mem-gb", "100", "--json", expect=0).stdout)
    from optimizer.catalog.records import load_cards

    expected = sorted(cid for cid, c in load_cards().items() if "huawei" in c.vendor.lower() and c.mem_gb >= 100)
    assert [r["id"] for r in huawei] == expected and "ascend-910c" in expected and "ascend-910b2" not in expected


def test_cards_list_piped_is_plain_and_deterministic(procure):
    a = procure("cards", "list", "--vendor", "AMD", expect=0).stdout
    assert a == procure("cards", "list", "--vendor", "AMD", expect=0).stdout
    lines = a.splitlines()
    assert lines[0].split()[0] == "id" and "calibration_rows" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == ["mi300x", "mi325x", "mi355x"]
    assert "\x1b[" not in a and "━" not in a


def test_show_and_unknown_ids(procure):
    card = json.loads(procure("cards", "show", "h200", "--json", expect=0).stdout)
    assert card["mem_gb"] == 141 and card["calibration_rows"] > 0
    text = procure("cards", "show", "h200", expect=0).stdout
    assert "mem_gb: 141" in text
    bad = procure("cards", "show", "h2OO", expect=2)
    assert "h200" in bad.stderr and "Traceback" not in bad.stderr
    model = json.loads(procure("models", "show", "deepseek-r1", "--json", expect=0).stdout)
    assert model["derived_params_b"]["total"] > 600
    assert "did you mean" in procure("models", "show", "deepseek_r1", expect=2).stderr
    engine = json.loads(procure("engines", "show", "sglang", "--json", expect=0).stdout)
    assert engine["calibration_rows"] == sum(1 for r in load_rows() if r.engine == "sglang")


def test_models_and_engines_lists(procure):
    models = json.loads(procure("models", "list", "--json", expect=0).stdout)
    assert {"deepseek-r1", "llama-3.1-70b"} <= {m["id"] for m in models}
    engines = json.loads(procure("engines", "list", "--json", expect=0).stdout)
    assert sum(e["calibration_rows"] for e in engines) == sum(1 for r in load_rows() if r.engine)
    assert procure("engines", "list", expect=0).stdout.splitlines()[0].startswith("id")


def test_cards_say_how_far_their_factors_rest_on_published_runs(procure):
    """'measured' when the card itself has rows, 'family' when only other cards of its family do,
    'unmeasured' when its family has none (the pooled prior); family_rows is the family's sum."""
    rows = {r["id"]: r for r in json.loads(procure("cards", "list", "--json", expect=0).stdout)}
    for r in rows.values():
        expected = "measured" if r["calibration_rows"] else ("family" if r["family_rows"] else "unmeasured")
        assert r["calibration"] == expected, r["id"]
        same_family = [x for x in rows.values() if x["family"] == r["family"]]
        assert r["family_rows"] == sum(x["calibration_rows"] for x in same_family)
    assert rows["h200"]["calibration"] == "measured" and rows["a800"]["calibration"] == "family"
    shown = json.loads(procure("cards", "show", "a800", "--json", expect=0).stdout)
    assert shown["calibration"] == "family" and shown["family_rows"] == rows["a800"]["family_rows"] > 0
