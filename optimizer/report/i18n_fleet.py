"""Page one's words for what a fleet meets beyond one load at full use (the cost per token served
under a daily profile, the supply cases of constraints.robust_to) and the headers of its workbook, in
English and Chinese; optimizer.report.i18n merges them into its MESSAGES."""

from __future__ import annotations

FLEET_MESSAGES: dict[str, tuple[str, str]] = {
    "served.sentence": (
        "Cost per token actually served: under the daily profile {profile}, on average {mean} of the peak load, with the "
        "plan at {at_peak} of its capacity at the peak, it serves {share} of the tokens it could: {served} per million "
        "output tokens served, against {full} at 100% utilisation.",
        "按实际服务量计的 token 成本：在日负载曲线 {profile} 下（平均为峰值负载的 {mean}），方案在峰值时使用其容量的 {at_peak}，"
        "实际服务量为其可生成 token 的 {share}：每百万输出 token {served}，而 100 % 利用率下为 {full}。",
    ),
    "served.own_profile": ("given in the scenario", "场景自定义"),
    "served.named": ("{name} ({description})", "{name}（{description}）"),
    "served.energy": (
        " Its energy would be {follows} if the servers' power followed the load (a lower bound: idle power is not "
        "modelled), against {energy} in the total cost of ownership.",
        "若服务器功耗随负载变化，电费为 {follows}（下限：未计空闲功耗），总拥有成本中按 {energy} 计。",
    ),
    "supply.sentence": ("Supply risk: the plan still meets the SLAs if {cases}.", "供货风险：在以下情形下方案仍满足 SLA：{cases}。"),
    "supply.case": (
        "{label} ({arrived} arrive and, redeployed, still serve the {need} {unit} required)",
        "{label}（到货 {arrived}，重新部署后仍可服务所需的 {need} {unit}）",
    ),
    "supply.label": ("{who} delivers {share}", "{who}仅交付 {share}"),
    "supply.offer": ("offer {oid}", "报价 {oid} "),
    "supply.vendor": ("vendor {vendor}", "供应商 {vendor} "),
    "supply.load": (
        " The plan that trusts every bid to deliver would serve {served} {unit} ({servers}, {trusting}), this one {mine}.",
        "相信每家投标足额交付的方案可服务 {served} {unit}（{servers}，{trusting}），本方案为 {mine}。",
    ),
    "case_sep": ("; or if ", "；"),
    "supply.cost": (
        " This robustness costs {extra} more than the cheapest plan that trusts every bid to deliver ({servers}, {trusting}).",
        "与相信每家投标足额交付的最便宜方案（{servers}，{trusting}）相比，这一稳健性多花 {extra}。",
    ),
    "supply.free": (
        " It costs nothing extra: the cheapest plan that trusts every bid to deliver is no cheaper ({servers}, {trusting}).",
        "这一稳健性不额外花钱：相信每家投标足额交付的最便宜方案并不更便宜（{servers}，{trusting}）。",
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
    "unpriced.owned_suffices": ("hardware already owned serves the load: none needed", "已有硬件即可满足负载：无需采购"),
    "unpriced.beyond": ("(more than the {n} offered)", "（超过报价的 {n} 台）"),
    "unpriced.never": ("none: it costs more at any price", "无：任何价格下都更贵"),
    "h.fleet": ("procure fleet report: {name}", "procure 多服务采购报告：{name}"),
    "h.services": ("Each service's share", "各服务的份额"),
    "h.alone": ("Each service on a fleet of its own", "各服务单独采购"),
    "h.packing": ("How services share servers", "服务如何共享服务器"),
    "fleet.sentence": (
        "**Buy {bought} for {cost}** ({status}) for {n} services on one purchase; each meets its own SLAs and load at "
        "confidence {conf} (its designs sized under its own draws of the model's error).",
        "**采购 {bought}，共 {cost}**（{status}），{n} 个服务共用一次采购；每个服务在置信度 {conf} 下满足各自的 SLA 与负载"
        "（其设计按各自的模型误差抽样测算）。",
    ),
    "fleet.saving": (" Sharing saves {saving} against fleets of their own ({alone} together).",
                     "与各自单独采购（合计 {alone}）相比，共享节省 {saving}。"),
    "fleet.no_saving": (" Sharing saves nothing against fleets of their own ({alone} together).",
                        "与各自单独采购（合计 {alone}）相比，共享不节省费用。"),
    "fleet.beyond_stock": (" Bought together, those separate fleets would exceed a bid's stock: each counted the whole stock as its own.",
                           "但这些单独方案合在一起会超过某个投标的库存：每个单独方案都把全部库存算作己有。"),
    "fleet.none": ("**No fleet serves every service within the limits.** {why}", "**在限制条件下没有能服务所有服务的方案。** {why}"),
    "fleet.n_plus_one_rule": (
        "N+1 counts a failed server as taking a full server's worth of each service's replicas of a design (where replicas "
        "sit is not planned), so a service whose replicas are smaller than a server keeps a server's worth of spare "
        "replicas: its capacity headroom can be large.",
        "N+1 按一台故障服务器带走各服务某一设计满一台服务器的副本计（未规划副本的具体位置），因此副本小于一台服务器的服务会保留"
        "一台服务器容量的备用副本：其容量余量可能很大。",
    ),
    "fleet.services_intro": (
        "Latencies are each service's slowest replica at its confidence, with headroom to its target; the RMB attributed "
        "splits each offer's cost by the cards each service's replicas use on it (the shares add up to the fleet's cost).",
        "时延为各服务在其置信度下最慢副本的时延及相对目标的余量；分摊费用按各服务副本在每个报价服务器上所用卡数拆分（合计等于总费用）。",
    ),
    "fleet.alone_intro": ("The same bids, each service solved as a single-service scenario.", "相同投标下，把每个服务当作单服务场景求解。"),
    "fleet.packing": (
        "Replicas are 1, 2, 4, ... cards or whole servers, so replicas of different services share a server whenever "
        "their sizes divide it (they nest without waste); the cards of every service count against the servers bought, "
        "and no bought server stands idle (except servers bought so that a supply case holds). Stock, budget, rack space, "
        "power and vendor rules apply to the whole purchase; "
        "each service keeps its own load, headroom, N+1 and one-shape rules.",
        "副本为 1、2、4……张卡或整台服务器，不同服务的副本只要尺寸能整除服务器即可共用一台（无浪费地嵌套）；所有服务的卡数合计不超过所购服务器，"
        "且不闲置任何所购服务器（为供应情形而购的服务器除外）。库存、预算、机柜、功耗和供应商规则作用于整体采购；"
        "每个服务各自满足负载、余量、N+1 与单一形态规则。",
    ),
    "fleet.spare": (
        "Spare while every bid delivers, with no replica on them: {cards} (servers come whole, and a supply case may need more "
        "servers than the loads do: what arrives must carry every service); the RMB attributed spreads their cost over the "
        "services by the cards each uses.",
        "各投标均足额交付时的闲置：{cards}未运行副本（服务器整台购买，且供应情形可能需要多于负载所需的服务器：到货部分须承载所有服务）；"
        "分摊费用按各服务所用卡数分摊其成本。",
    ),
    "fleet.mix_kept": (
        "The {what} buys from several vendors; the best one-vendor {what} costs {single}: the mix saves {saving}, more than the "
        "{min} % a second vendor must save (constraints.mix_min_saving_pct).",
        "该{what}向多家厂商采购；最优单一厂商{what}为 {single}：混合采购节省 {saving}，超过第二家厂商须节省的 {min}%"
        "（constraints.mix_min_saving_pct）。",
    ),
    "fleet.mix_only": (
        "The {what} buys from several vendors: no single vendor serves every service within the limits.",
        "该{what}向多家厂商采购：没有单一厂商能在限制内承载所有服务。",
    ),
    "fleet.mix_declined": (
        "A {what} mixing vendors would cost {mix}, saving {saving} against this one-vendor {what}: not more than the {min} % a "
        "second vendor must save (constraints.mix_min_saving_pct), so one vendor is recommended.",
        "混合厂商的{what}需 {mix}，比本单一厂商{what}节省 {saving}，未超过第二家厂商须节省的 {min}%"
        "（constraints.mix_min_saving_pct），因此推荐单一厂商。",
    ),
    "fleet.what.fleet": ("fleet", "机群"),
    "fleet.what.schedule": ("schedule", "采购计划"),
    "fleet.spare_whole": (
        "Spare, with no replica on them: {cards} (servers come whole); the RMB attributed spreads their cost over the services by the "
        "cards each uses.",
        "闲置：{cards}未运行副本（服务器整台购买）；分摊费用按各服务所用卡数分摊其成本。",
    ),
    "fleet.spare_item": ("{n} card(s) of {offer}", "{offer} 的 {n} 张卡"),
    "fleet.served_intro": (
        "Cost per token actually served (each service's daily profile; over the RMB attributed to it, which under a TCO "
        "objective holds its share of the energy, split like the capex by the cards it uses):",
        "按实际服务量计的 token 成本（各服务的日负载曲线；按分摊费用计，TCO 目标下含按所用卡数分摊的电费）：",
    ),
    "fleet.served": (
        "under {profile}, on average {mean} of its peak, it serves {share} of the tokens its replicas could: {served} per million "
        "output tokens served, against {full} at 100% utilisation.",
        "在 {profile} 下（平均为峰值的 {mean}），实际服务量为其副本可生成 token 的 {share}：每百万输出 token {served}，100% 利用率下为 {full}。",
    ),
    "fleet.supply.sentence": (
        "Supply risk: the fleet still meets every service's SLAs and its required share of its load if {cases}.",
        "供货风险：在以下情形下整体方案仍使每个服务满足其 SLA 及所需负载份额：{cases}。",
    ),
    "fleet.supply.case": ("{label} ({arrived} arrive; redeployed, they serve {needs})", "{label}（到货 {arrived}；重新部署后可服务 {needs}）"),
    "fleet.supply.need": ("{name} {served} of the {need} {unit} required", "{name} {served}（需 {need} {unit}）"),
    "fleet.supply.cost": (
        " This robustness costs {extra} more than the cheapest fleet that trusts every bid to deliver ({servers}, {trusting}).",
        "与相信每家投标足额交付的最便宜整体方案（{servers}，{trusting}）相比，这一稳健性多花 {extra}。",
    ),
    "fleet.supply.free": (
        " It costs nothing extra: the cheapest fleet that trusts every bid to deliver is no cheaper ({servers}, {trusting}).",
        "这一稳健性不额外花钱：相信每家投标足额交付的最便宜整体方案并不更便宜（{servers}，{trusting}）。",
    ),
    "fleet.ph.sized": (
        ". In each period every service runs its own designs (sized at its confidence), covering its own load{growth}; the "
        "fleet above is sized for each service's workload load alone.",
        "。每个周期各服务运行各自的设计（按其置信度测算），覆盖各自的负载{growth}；上方整体方案仅按各服务的 workload 负载配置。",
    ),
    "fleet.ph.growth": (" (growing {g} % a period{own})", "（每周期增长 {g}%{own}）"),
    "fleet.ph.own": ("; {names}: its own load per period", "；{names} 采用自定义的各周期负载"),
    "fleet.ph.supply": ("; the supply cases hold in every period, on the servers in service then",
                        "；每个周期均在当期在役服务器上满足供货风险情形"),
    "fleet.ph.cols": ("period|{loads}|servers bought|servers in service|cards used / in service|spend|discounted spend",
                      "周期|{loads}|本期采购|在役服务器|已用卡 / 在役卡|支出|折现支出"),
    "fleet.ph.plot_note": (
        "In each period every service runs the fewest cards that cover its load with its headroom (and N+1, when asked), "
        "so its capacity can fall while its load grows, when another design covers it with fewer cards; a service's "
        "capacity bought all at once is drawn only where it differs. The last panel shows what phasing saves: cards in "
        "service before they serve.",
        "每个周期各服务运行满足其负载与余量（及 N+1）所需的最少卡数，因此当另一种设计能以更少的卡满足负载时，容量可能在负载增长时下降；"
        "一次性采购的服务容量仅在不同时绘出。最后一栏显示分期采购节省之处：尚未服务即已在役的卡。",
    ),
    "fleet.ph.cards_used": ("cards the services' replicas use", "各服务副本所用卡数"),
    "fleet.ph.cards_phased": ("cards in service, bought in phases", "在役卡数（分期采购）"),
    "fleet.ph.cards_once": ("cards in service, all bought in {first}", "在役卡数（{first} 一次性采购）"),
    "fleet.ph.cards_axis": ("cards", "卡数"),
    "fleet.ph.load_col": ("{name} ({unit})", "{name}（{unit}）"),
    "fleet.col.service": ("service", "服务"),
    "fleet.col.model": ("model", "模型"),
    "fleet.col.load": ("load", "负载"),
    "fleet.col.replicas": ("replicas", "副本"),
    "fleet.col.cards": ("cards", "卡数"),
    "fleet.col.ttft": ("TTFT (headroom)", "TTFT（余量）"),
    "fleet.col.tpot": ("TPOT (headroom)", "TPOT（余量）"),
    "fleet.col.capacity": ("capacity (headroom)", "容量（余量）"),
    "fleet.col.attributed": ("RMB attributed", "分摊费用"),
    "fleet.col.alone": ("on its own", "单独采购"),
    "fleet.col.plan_alone": ("plan on its own", "单独方案"),
    "fleet.col.servers": ("servers", "服务器"),
    # the fleet's workbook (report.fleet_export): sheet names and column headers; money headers name the unit the cells hold
    "xlsx.sheet.services": ("Services", "各项服务"),
    "xlsx.sheet.servers": ("Servers bought", "购买的服务器"),
    "xlsx.sheet.periods": ("Purchase schedule", "分期采购计划"),
    "xlsx.col.service": ("Service", "服务"),
    "xlsx.col.model": ("Model", "模型"),
    "xlsx.col.load": ("Load", "负载"),
    "xlsx.col.attributed_rmb": ("RMB attributed", "分摊成本（万元）"),
    "xlsx.col.rmb_per_million_output_tokens_served": ("RMB per million output tokens served", "每百万实际输出 token 成本（元）"),
    "xlsx.col.alone_cost_rmb": ("On a fleet of its own (RMB)", "单独采购成本（万元）"),
    "xlsx.col.servers_bought": ("Servers bought", "购买服务器数"),
    "xlsx.col.period": ("Period", "期间"),
    "xlsx.col.bought": ("Servers bought", "购买服务器"),
    "xlsx.col.in_service": ("Servers in service", "在役服务器"),
    "xlsx.col.spend_rmb": ("Spend (RMB)", "支出（万元）"),
    "xlsx.col.discounted_rmb": ("Discounted spend (RMB)", "折现支出（万元）"),
    "xlsx.col.spare_cards": ("Spare cards", "闲置卡数"),
    "xlsx.col.cards_used": ("Cards used", "使用卡数"),
    "xlsx.col.cards_in_service": ("Cards in service", "在役卡数"),
    "xlsx.col.service_load": ("Load of {name} ({unit})", "{name} 负载（{unit}）"),
}
