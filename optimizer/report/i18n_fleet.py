"""Page one's words for what a fleet meets beyond one load at full use (the cost per token served
under a daily profile, the supply cases of constraints.robust_to) in English and Chinese;
optimizer.report.i18n merges them into its MESSAGES."""

from __future__ import annotations

FLEET_MESSAGES: dict[str, tuple[str, str]] = {
    "served.sentence": (
        "Cost per token actually served: under the daily profile {profile} (on average {mean} of the peak load), with the "
        "plan at {at_peak} of its capacity at the peak, it serves {share} of the tokens it could: {served} per million "
        "output tokens served, against {full} at 100% utilisation.",
        "按实际服务量计的 token 成本：在日负载曲线 {profile}（平均为峰值负载的 {mean}）下，方案在峰值时使用其容量的 {at_peak}，"
        "实际服务量为其可生成 token 的 {share}：每百万输出 token {served}，而 100 % 利用率下为 {full}。",
    ),
    "served.own_profile": ("given in the scenario", "（场景自定义）"),
    "served.energy": (
        " Its energy would be {follows} if the servers' power followed the load (a lower bound: idle power is not "
        "modelled), against {energy} in the total cost of ownership.",
        "若服务器功耗随负载变化，电费为 {follows}（下限：未计空闲功耗），总拥有成本中按 {energy} 计。",
    ),
    "supply.sentence": ("Supply risk: the plan still meets the SLAs if {cases}.", "供货风险：在以下情形下方案仍满足 SLA：{cases}。"),
    "supply.case": (
        "{label} ({arrived} arrive, serving {served} of the {need} {unit} required)",
        "{label}（到货 {arrived}，可服务 {served}，需 {need} {unit}）",
    ),
    "case_sep": ("; or if ", "；"),
    "supply.cost": (
        " This robustness costs {extra} more than the cheapest plan that trusts every bid to deliver ({servers}, {trusting}).",
        " 与相信每家投标足额交付的最便宜方案（{servers}，{trusting}）相比，这一稳健性多花 {extra}。",
    ),
    "supply.free": (
        " It costs nothing extra: the cheapest plan that trusts every bid to deliver is no cheaper ({servers}, {trusting}).",
        " 这一稳健性不额外花钱：相信每家投标足额交付的最便宜方案并不更便宜（{servers}，{trusting}）。",
    ),
    "unpriced.h": ("Bids without a price", "尚未报价的投标"),
    "unpriced.intro": (
        "Each sized on its own, as if it were the only bid; never part of the plan above. The last column is the most a "
        "server may cost for the bid to cost no more than the recommended plan (its servers at that price, plus any energy).",
        "每项均按独立投标测算，不计入上方方案。最后一列为单台服务器的最高价格：不高于此价时，该投标的总成本不超过推荐方案（含电费）。",
    ),
    "unpriced.col.bid": ("bid", "投标"),
    "unpriced.col.vendor": ("vendor", "供应商"),
    "unpriced.col.card": ("card", "卡型"),
    "unpriced.col.plan": ("plan", "方案"),
    "unpriced.col.servers": ("servers / cards", "服务器 / 卡"),
    "unpriced.col.central": ("servers at the central estimate", "中心估计下的服务器数"),
    "unpriced.col.break_even": ("most it can cost per server", "单台最高可接受价格"),
    "unpriced.beyond": ("(more than the {n} offered)", "（超过报价的 {n} 台）"),
    "unpriced.never": ("none: it costs more at any price", "无：任何价格下都更贵"),
}
