"""How a design and a plan are named in every report: 'TP8/PP1/EP1 fp8 at batch 16 (h200-8x)' and
'2 × TP8/PP1/EP1 fp8 b16; 1 × prefill: TP4/PP2/EP8 fp8 b1'."""

from __future__ import annotations

from optimizer.plan.result import Design, Plan


def role_label(role: str) -> str:
    return "" if role == "colocated" else f"{role}: "


def design_label(d: Design) -> str:
    par = d.perf.parallelism
    return f"TP{par.tp}/PP{par.pp}/EP{par.ep} {d.perf.precision} at batch {d.perf.batch} ({d.offer_id})"


def plan_shape(plan: Plan) -> str:
    """What runs on the fleet, one group after another."""
    return "; ".join(
        f"{g.count} × {role_label(g.design.role)}TP{g.design.perf.parallelism.tp}/PP{g.design.perf.parallelism.pp}"
        f"/EP{g.design.perf.parallelism.ep} {g.design.perf.precision} b{g.design.perf.batch}"
        for g in plan.groups
    )
