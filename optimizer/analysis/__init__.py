"""Analyses over a solved scenario: the bid comparison with break-even prices, what-if sweeps, and
the facts the reports lay out (risks, weights check, engines, calibration rows, provenance)."""

from optimizer.analysis.common import Progress, winner_of, with_server_price
from optimizer.analysis.compare import BidRow, Comparison, break_even_price, compare, standalone_plan
from optimizer.analysis.facts import Risk, SolveFacts, bid_risks, solve_facts
from optimizer.analysis.sweeps import Sweep, SweepPoint, budget_sweep, load_sweep, pareto_front, price_sweep, sla_sweep
from optimizer.analysis.sweeps_fleet import PHASE_AXES, PhasePoint, delivered_share_sweep, phase_sweep
from optimizer.sweep_ranges import parse_list, parse_range  # the FROM:TO:POINTS and list syntax of the sweeps

__all__ = [
    "PHASE_AXES", "BidRow", "Comparison", "PhasePoint", "Progress", "Risk", "SolveFacts", "Sweep", "SweepPoint", "bid_risks",
    "break_even_price", "budget_sweep", "compare", "delivered_share_sweep", "load_sweep", "pareto_front", "parse_list",
    "parse_range", "phase_sweep", "price_sweep", "sla_sweep", "solve_facts", "standalone_plan", "winner_of", "with_server_price",
]
