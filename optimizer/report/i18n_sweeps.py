"""The what-if page's words (sweep tables, headings, plot titles, axes and legends) in English and
Chinese; optimizer.report.i18n merges them into its MESSAGES."""

from __future__ import annotations

SWEEP_MESSAGES: dict[str, tuple[str, str]] = {
    "sw.h1": ("procure what-if: {name}", "procure 假设分析：{name}"),
    "sw.title": ("{kind} sweep", "{kind}扫描"),
    "sw.kind.budget": ("budget", "预算"),
    "sw.kind.tpot": ("TPOT target", "TPOT 目标"),
    "sw.kind.ttft": ("TTFT target", "TTFT 目标"),
    "sw.kind.load": ("load", "负载"),
    "sw.kind.price": ("price", "价格"),
    "sw.x.budget": ("budget (million RMB)", "预算（百万元）"),
    "sw.x.tpot": ("TPOT target (ms)", "TPOT 目标（ms）"),
    "sw.x.ttft": ("TTFT target (ms)", "TTFT 目标（ms）"),
    "sw.x.load": ("load ({unit})", "负载（{unit}）"),
    "sw.x.price": ("price of {offer} (million RMB per server)", "{offer} 单台价格（百万元）"),
    "sw.tx.budget": ("budget (RMB)", "预算（万元）"),
    "sw.tx.price": ("price of {offer} (RMB per server)", "{offer} 单台价格（万元）"),
    "sw.y.served": ("served ({unit})", "可服务负载（{unit}）"),
    "sw.y.cost": ("cost (million RMB)", "成本（百万元）"),
    "sw.cols": ("served ({unit})|cost|winner|status", "可服务负载（{unit}）|成本|胜出方|状态"),
    "sw.alone": ("{vendor} alone ({per})", "仅 {vendor}（{per}）"),
    "sw.per.served": ("served", "负载"),
    "sw.per.cost": ("cost", "成本"),
    "sw.best": ("best plan (any bid)", "最优方案（任意投标）"),
    "sw.chosen": ("chosen plan", "所选方案"),
    "sw.alone_line": ("{vendor} alone", "仅 {vendor}"),
    "sw.demand": ("demand ({d} {unit})", "需求（{d} {unit}）"),
    "sw.demand_load": ("demand in the scenario ({d} {unit})", "场景需求（{d} {unit}）"),
    "sw.current": ("current bid ({p} per server)", "当前报价（每台 {p}）"),
    "sw.break_even": ("break-even ({p} per server)", "盈亏平衡（每台 {p}）"),
    "sw.be_note": ("break-even: {note}", "盈亏平衡：{note}"),
    "sw.noplan_all": ("{vendor} alone cannot serve at any {what} swept: {reasons}", "仅 {vendor} 在所扫描的任何{what}下都无法满足：{reasons}"),
    "sw.noplan": ("{vendor} alone: no plan ({reasons})", "仅 {vendor}：无方案（{reasons}）"),
    "sw.price_of": ("price of {offer}", "{offer} 的价格"),
    "sw.point": ("point", "取值"),
    "sw.pareto_title": ("Pareto front: cost vs served load", "帕累托前沿：成本与可服务负载"),
    "sw.pareto_x": ("plan cost (million RMB)", "方案成本（百万元）"),
    "sw.pareto_h": ("Pareto front (plans not beaten on both cost and served load)", "帕累托前沿（成本与负载均未被超越的方案）"),
    "sw.pareto_cols": ("cost|served ({unit})|plan carried by", "成本|可服务负载（{unit}）|方案承担方"),
    "sw.pareto_alt": ("Pareto front", "帕累托前沿"),
    "sw.context": ("{parts}, {stat}, confidence {conf}", "{parts}，{stat}，置信度 {conf}"),
    # the sweeps of buying in phases and of supply risk (analysis.sweeps_fleet)
    "sw.kind.growth": ("load growth", "负载增长率"),
    "sw.kind.decline": ("price decline", "价格降幅"),
    "sw.kind.discount": ("discount rate", "折现率"),
    "sw.kind.delivered": ("delivered share", "到货比例"),
    "sw.x.growth": ("load growth (% per period)", "负载增长率（%/期）"),
    "sw.x.decline": ("price decline (% per period)", "价格降幅（%/期）"),
    "sw.x.discount": ("discount rate (% per period)", "折现率（%/期）"),
    "sw.x.delivered": ("share of {offer}'s servers that arrive", "{offer} 服务器到货比例"),
    "sw.title_of": ("{kind} sweep: {of}", "{kind}扫描：{of}"),
    "sw.y.discounted": ("discounted cost (million RMB)", "折现成本（百万元）"),
    "sw.ph.cols": ("load in {last} ({unit})|phased (discounted)|bought in phases|all at once in {first}|bought all at once|"
                   "phasing saves|status",
                   "{last} 负载（{unit}）|分期采购（折现）|分期购买|{first} 一次性采购|一次性购买|分期节省|状态"),
    "sw.ph.alone": ("{vendor} alone (phased)", "仅 {vendor}（分期）"),
    "sw.ph.best": ("phased schedule (any bid)", "分期采购方案（任意投标）"),
    "sw.ph.once": ("all at once in {first}", "{first} 一次性采购"),
    "sw.ph.off_scale": (": above the axes, up to {top} million RMB", "：超出坐标轴，最高 {top} 百万元"),
    "sw.ph.chosen": ("the scenario's schedule", "场景的分期方案"),
    "sw.ph.context": ("{n} periods {first}–{last}: {parts}", "{n} 期 {first}–{last}：{parts}"),
    "sw.ph.growth": ("growth {v} %", "增长 {v}%"),
    "sw.ph.load": ("loads as listed", "负载按所列"),
    "sw.ph.decline": ("price decline {v} %", "降价 {v}%"),
    "sw.ph.discount": ("discount {v} %", "折现 {v}%"),
    "sw.ph.per": (" per period", "/期"),
    "sw.ph.note": ("Each point re-solves the purchase schedule over the solve's designs (sized at confidence {conf}), as page one's "
                   "\"Buying in phases\" does: the least spend discounted to {first}'s money (spend in period p weighs "
                   "1 / (1 + rate)^p; under a TCO objective a server also carries its energy over the objective's years), "
                   "against every server bought in {first}. As there, the schedule follows the vendor "
                   "rule (a mix of vendors must save more than mix_min_saving_pct against the best one-vendor schedule); "
                   "each vendor's own schedule is in its column. Held fixed: {fixed}.",
                   "每个取值都在求解所得的设计（按置信度 {conf} 确定规模）上重新求解采购计划，与首页“分期采购”相同：以 {first} 的"
                   "币值计的最低折现支出（第 p 期支出权重为 1 / (1 + 折现率)^p；TCO 目标下每台服务器另计其在目标年限内的电费），"
                   "并与在 {first} 一次性购买全部服务器对比。"
                   "与首页一样，分期方案遵循供应商规则（多家供应商组合须比最佳单一供应商计划节省超过 mix_min_saving_pct）；"
                   "各供应商自己的分期计划见其列。其余不变：{fixed}。"),
    "sw.ph.growth_replaces": (" The growth replaces the loads phases.load lists: each period's load compounds from {load} {unit}.",
                              "增长率取代 phases.load 所列负载：各期负载自 {load} {unit} 起按复利增长。"),
    "sw.ph.own_prices": (" {offers} keep their own prices per period (phases.prices_rmb_per_server): no decline moves them.",
                         "{offers} 保持各自的分期价格（phases.prices_rmb_per_server）：降价幅度对其无影响。"),
    "sw.dl.note": ("Each point re-solves the plan so that, if only that share of {who}'s servers arrive (the share of those bought, "
                   "rounded down), what does arrive still serves {ls} of the load within the SLAs; the winner follows the vendor rule "
                   "as solve does (a mix of vendors must save more than {pct} %). {case} A share of 1: every server arrives.",
                   "每个取值都重新求解方案：若 {who} 的服务器只到货该比例（按所购数量向下取整），到货的服务器仍须在 SLA 内承担 {ls} 的负载；"
                   "胜出方与求解时一样遵循供应商规则（混合多家供应商须节省超过 {pct}%）。{case}比例为 1 表示全部到货。"),
    "sw.dl.own_case": ("The scenario's own case for it ({share}) is the one moved.", "所移动的是场景中已有的这一情形（{share}）。"),
    "sw.dl.new_case": ("The scenario has no case for it: one is added.", "场景中没有这一情形：为其新增一个。"),
    "sw.dl.chosen": ("the scenario's plan", "场景的方案"),
    # the sweeps of a fleet (services:; analysis.fleet_whatif)
    "fsw.context": ("{n} services on one purchase ({names}), confidence {conf}", "{n} 项服务共用一次采购（{names}），置信度 {conf}"),
    "fsw.ph.load": ("{name} in {last} ({unit})", "{name} {last} 负载（{unit}）"),
    "fsw.ph.cols": ("phased (discounted)|bought in phases|all at once in {first}|bought all at once|phasing saves|status",
                    "分期采购（折现）|分期购买|{first} 一次性采购|一次性购买|分期节省|状态"),
    "fsw.ph.note": ("Each point re-solves the fleet's purchase schedule over every service's designs (each sized at confidence "
                    "{conf} by its own solve), as the fleet report's \"Buying in phases\" does: the least spend discounted to "
                    "{first}'s money (spend in period p weighs 1 / (1 + rate)^p; under a TCO objective a server also carries "
                    "its energy over the objective's years), against every server bought in {first}. Held fixed: {fixed}.",
                    "每个取值都在各项服务的设计（各自求解时按置信度 {conf} 确定规模）上重新求解整个集群的采购计划，与集群报告的"
                    "“分期采购”相同：以 {first} 的币值计的最低折现支出（第 p 期支出权重为 1 / (1 + 折现率)^p；"
                    "TCO 目标下每台服务器另计其在目标年限内的电费），"
                    "并与在 {first} 一次性购买全部服务器对比。其余不变：{fixed}。"),
    "fsw.ph.own_loads": (" {names} keep their own loads per period (phases_load): the growth moves the other services' loads.",
                         "{names} 保持各自的分期负载（phases_load）：增长率只改变其他服务的负载。"),
    "fsw.vendor": (" As in the fleet solve, each point is the least-cost fleet within the vendor limits (vendors_allowed, "
                   "vendors_excluded, single_vendor); the saving a mix of vendors must show (constraints.mix_min_saving_pct) "
                   "is not applied to a fleet.",
                   "与集群求解一样，每个取值都是在供应商限制（vendors_allowed、vendors_excluded、single_vendor）内成本最低的集群；"
                   "多家供应商组合须达到的节省（constraints.mix_min_saving_pct）不适用于集群。"),
    "fsw.dl.cols": ("robust to it|trusting every bid|robustness costs|servers bought|status",
                    "按该比例稳健|信任全部投标|稳健性成本|购买服务器|状态"),
    "fsw.dl.cols_phased": ("robust to it (phased, discounted)|trusting every bid (phased, discounted)|robustness costs|"
                           "servers bought over the periods|status",
                           "按该比例稳健（分期，折现）|信任全部投标（分期，折现）|稳健性成本|各期共购买服务器|状态"),
    "fsw.dl.note": ("Each point re-solves the fleet so that, if only that share of {who}'s servers arrive (of those bought, "
                    "rounded down), what does arrive, every service's replicas redeployed on it, still serves {ls} of each "
                    "service's load within its SLAs; against the cheapest fleet trusting every bid to deliver{other}. {case} "
                    "A share of 1: every server arrives.",
                    "每个取值都重新求解集群：若 {who} 的服务器只到货该比例（按所购数量向下取整），各项服务的副本在到货的服务器上重新部署后，"
                    "仍须在各自 SLA 内承担各自 {ls} 的负载；并与信任全部投标按时交付的最便宜集群对比{other}。{case}比例为 1 表示全部到货。"),
    "fsw.dl.other": (" (every supply case dropped: the scenario's others too)", "（去掉全部供货情形，包括场景中的其他情形）"),
    "fsw.dl.phased": (" With phases, the costs are the fleet's purchase schedule, discounted, the case holding in every period "
                      "on the servers in service then, as in the fleet solve.",
                      "有分期时，成本为集群的分期采购计划（折现），该情形在每一期对当期在役服务器成立，与集群求解相同。"),
    "fsw.robust": ("the fleet robust to it", "按该比例稳健的集群"),
    "fsw.robust_phased": ("the fleet's schedule robust to it", "按该比例稳健的集群分期计划"),
    "fsw.trusting": ("trusting every bid ({cost})", "信任全部投标（{cost}）"),
}
