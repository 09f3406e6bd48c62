"""Page one's words for buying in phases (scenario.phases: the schedule's sentence, its table and
its plot) in English and Chinese; optimizer.report.i18n merges them into its MESSAGES."""

from __future__ import annotations

PHASE_MESSAGES: dict[str, tuple[str, str]] = {
    "ph.h": ("Buying in phases", "分期采购"),
    "ph.gap": (" ", ""),
    "ph.sentence": (
        "Bought in phases over {n} periods ({first} to {last}), the schedule below costs {phased} {basis}, against {once} "
        "for buying everything in {first} ({servers}): phasing saves {saving} ({pct}).",
        "在 {n} 个周期（{first} 至 {last}）内分期采购，下表方案成本为 {phased}（{basis}），而在 {first} 一次性采购全部"
        "（{servers}）为 {once}：分期节省 {saving}（{pct}）。",
    ),
    "ph.same": (
        "Bought in phases over {n} periods ({first} to {last}), the schedule below costs {phased} {basis}, the same as "
        "buying everything in {first} ({servers}): phasing saves nothing here.",
        "在 {n} 个周期（{first} 至 {last}）内分期采购，下表方案成本为 {phased}（{basis}），与在 {first} 一次性采购全部"
        "（{servers}）相同：分期并不节省。",
    ),
    "ph.no_once": (
        "Bought in phases over {n} periods ({first} to {last}), the schedule below costs {phased} {basis}; buying everything "
        "in {first} is not possible within the scenario's limits ({why}).",
        "在 {n} 个周期（{first} 至 {last}）内分期采购，下表方案成本为 {phased}（{basis}）；在 {first} 一次性采购全部在本场景"
        "的限制下不可行（{why}）。",
    ),
    "ph.none": (
        "No schedule serves every period's load within the scenario's limits ({why}); buying everything in {first}: {once}.",
        "没有分期方案能在本场景的限制下满足每个周期的负载（{why}）；在 {first} 一次性采购：{once}。",
    ),
    "ph.why.infeasible": ("proved: no purchase schedule meets them", "已证明：没有采购方案能满足"),
    "ph.why.unknown": ("the solver found none within its time limit", "求解器在时限内未找到"),
    "ph.basis.discounted": (
        "in {first}'s money (spend discounted at {rate} % a period; {paid} paid)",
        "按 {first} 的现值计，每周期折现率 {rate}%；实付 {paid}",
    ),
    "ph.basis.plain": ("(no discounting)", "不折现"),
    "ph.prices.decline": ("Every bid's price falls {d} % a period", "各投标单价每周期下降 {d}%"),
    "ph.prices.rise": ("Every bid's price rises {d} % a period", "各投标单价每周期上涨 {d}%"),
    "ph.prices.flat": ("Prices hold", "单价不变"),
    "ph.prices.given": (" ({offers}: the scenario's own prices per period)", "（{offers}：采用场景给出的各周期单价）"),
    "ph.lead": (
        "; a server serves {lead} period(s) after the one it is bought in",
        "；服务器在采购后第 {lead} 个周期起投入服务",
    ),
    "ph.headroom": ("; capacity covers each load + {h} % headroom", "；容量按各期负载另加 {h}% 余量配置"),
    "ph.n_plus_one": ("; each period keeps N+1", "；每个周期均满足 N+1"),
    "ph.sized": (
        ". The replicas are the recommendation's designs (sized at confidence {conf}); the recommendation above is sized for "
        "{load} {unit} alone.",
        "。副本采用推荐方案的设计（按置信度 {conf} 测算）；上方推荐方案仅按 {load} {unit}配置。",
    ),
    "ph.tco": (
        " Under the TCO objective a server bought in a period costs its price then plus its energy over {years} years from "
        "its purchase, discounted from that period: the discounted column holds both, the spend column the price paid.",
        "在 TCO 目标下，某期购买的服务器成本为当期价格加上自购买起 {years} 年的电费，并自该期折现：折现列含两者，支出列为所付价格。",
    ),
    "ph.cols": (
        "period|load ({unit})|servers bought|servers in service|capacity ({unit})|spend|discounted spend",
        "周期|负载（{unit}）|本期采购|在役服务器|容量（{unit}）|支出|折现支出",
    ),
    "ph.total": ("total", "合计"),
    "ph.plot_title": ("Capacity against demand per period", "各周期容量与需求"),
    "ph.plot_alt": ("capacity against demand per period", "各周期容量与需求"),
    "ph.y": ("load ({unit})", "负载（{unit}）"),
    "ph.x": ("period", "周期"),
    "ph.demand": ("demand", "需求"),
    "ph.demand_headroom": ("demand + {h} % headroom", "需求 + {h}% 余量"),
    "ph.capacity": ("capacity, bought in phases", "容量（分期采购）"),
    "ph.capacity_once": ("capacity, all bought in {first}", "容量（{first} 一次性采购）"),
    "ph.bought": ("+{servers}", "+{servers}"),
}
