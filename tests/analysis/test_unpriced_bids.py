"""Bids with no price yet (price_kind: unknown, analysis/unpriced.py): never bought, sized on their
own, and their break-even price per server worked by identity on a twin of the winning bid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import load, resolved

from optimizer.errors import InputError
from optimizer.pipeline import solve

REPO = Path(__file__).resolve().parents[2]


def _scenario(tmp_path: Path, objective: dict | None = None, **unpriced) -> Path:  # type: ignore[type-arg]
    """llama3_70b_single_user (one user) with its H20 bid at RMB 1.2M a server as the only priced bid, and an
    unpriced twin of it."""
    doc = yaml.safe_load((REPO / "scenarios" / "llama3_70b_single_user.yaml").read_text(encoding="utf-8"))
    twin = {"id": "h20-twin", "vendor": "Other partner", "card": "h20", "price_kind": "unknown", "available_servers": 2, **unpriced}
    doc["offers"] = [o for o in doc["offers"] if o["id"] == "h20-8x"] + [twin]
    if objective:
        doc["objective"] = objective
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("objective", [None, {"kind": "tco", "years": 3, "rmb_per_kwh": 0.8}])
def test_a_twin_of_the_winner_breaks_even_at_the_winners_price(tmp_path: Path, objective: dict | None):  # type: ignore[type-arg]
    """The twin runs the same card in the same server, so on its own it needs the same n servers as the
    H20 bid's own plan. If that plan is the recommendation, W = n x (1,200,000 + E) with E the energy per
    server (0 under capex), and its break-even is (W - n x E) / n = RMB 1,200,000 exactly."""
    result = solve(resolved(load(_scenario(tmp_path, objective))))
    assert result.plans and set(result.plans[0].servers) == {"h20-8x"}, result.plans[0].servers
    (twin,) = result.unpriced_bids
    own = next(o for o in result.per_offer if o.offer_id == "h20-8x")
    assert own.plan is not None and twin.servers == own.plan.servers["h20-8x"]
    assert twin.break_even_rmb_per_server == 1_200_000
    assert all("h20-twin" not in p.servers for p in result.plans)   # never bought
    assert "h20-twin" not in result.terms


def test_the_report_and_json_give_servers_and_break_even_never_a_nominal_cost(tmp_path: Path):
    from typer.testing import CliRunner

    from optimizer.cli import app

    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["solve", str(_scenario(tmp_path)), "--out", str(out)])
    assert done.exit_code == 0, done.output
    doc = json.loads((out / "s.json").read_text(encoding="utf-8"))
    (row,) = doc["unpriced_bids"]
    assert row["offer"] == "h20-twin" and row["break_even_rmb_per_server"] == 1_200_000 and row["servers"] >= 1
    assert "cost_rmb" not in row
    assert all(b["offer"] != "h20-twin" for b in doc["bids"])
    md = (out / "s.md").read_text(encoding="utf-8")
    assert "### Bids without a price" in md and "| h20-twin | Other partner | h20 |" in md and "RMB 1,200,000 |" in md


@pytest.mark.parametrize(("extra", "words"), [
    ({"price_rmb_per_server": 1_000_000}, "price_kind unknown is a bid with no price yet"),
    ({"owned": True}, "price_kind unknown is a bid with no price yet"),
])
def test_an_unknown_price_with_a_price_or_owned_is_refused(tmp_path: Path, extra: dict, words: str):  # type: ignore[type-arg]
    with pytest.raises(InputError) as err:
        load(_scenario(tmp_path, **extra))
    assert words in str(err.value) and "offers.1" in str(err.value)
