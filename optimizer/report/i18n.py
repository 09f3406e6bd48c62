"""The fixed words of the reports in English and Chinese (`lang="en"` / `lang="zh"`).

Only templates live here; numbers are formatted by optimizer.report.format and filled in by the
renderers, so both languages carry identical figures (money in RMB or 万元). Facts quoted from the
catalog and the scenario (sources, price notes, descriptions) stay in their own language; the catalog's
export-control and ecosystem notes have Chinese forms of their own (export_control_zh, note_zh), and the
solver's reasons are translated by optimizer.report.reasons.
"""

from __future__ import annotations

from optimizer.report.i18n_breakdown import BREAKDOWN_MESSAGES
from optimizer.report.i18n_fleet import FLEET_MESSAGES
from optimizer.report.i18n_phases import PHASE_MESSAGES
from optimizer.report.i18n_sweeps import SWEEP_MESSAGES

LANGS = ("en", "zh")

MESSAGES: dict[str, tuple[str, str]] = {
    # section titles
    "h.report": ("procure report: {name}", "procure 采购报告：{name}"),
    "h.compare": ("procure bid comparison: {name}", "procure 投标比较：{name}"),
    "h.recommendation": ("Recommendation", "建议"),
    "h.bids": ("Bids", "投标"),
    "h.plots": ("Plots", "图表"),
    "h.ranked": ("Ranked plans", "方案排序"),
    "h.why": ("Why: memory and latency of the recommended plan", "依据：推荐方案的显存与时延"),
    "h.splits": ("Every split on this fleet", "本机群上的全部切分方式"),
    "h.diagnosis": ("Diagnosis", "诊断"),
    "h.weights": ("Do the weights fit at all?", "权重能否装下？"),
    "h.warnings": ("Warnings", "注意事项"),
    "h.glossary": ("Glossary", "术语表"),
    "h.assumptions": ("Assumptions and sources", "假设与来源"),
    "h.further": ("Further analysis", "进一步分析"),
    "h.verdict": ("Verdict", "结论"),
    "h.compare_detail": ("Bids in detail: latency, power and bottleneck", "投标明细：时延、功耗与瓶颈"),
    "h.risks": ("Risks", "风险"),
    # words
    "status.optimal": ("optimal", "最优"),
    "status.feasible": ("feasible", "可行"),
    "status.infeasible": ("infeasible", "不可行"),
    "stat.mean": ("mean", "均值"),
    "stat.p90": ("p90", "p90"),
    "stat.p99": ("p99", "p99"),
    "unit.concurrent users": ("concurrent users", "并发用户"),
    "unit.requests/s": ("requests/s", "请求/秒"),
    "unit.output tokens/s": ("output tokens/s", "输出 token/秒"),
    "winner": ("winner", "中标"),
    "bn.memory": ("memory", "访存"),
    "bn.compute": ("compute", "计算"),
    "bn.communication": ("communication", "通信"),
    "weights.need": ("≥ {cards} ({servers} server(s))", "≥ {cards}（{servers} 台服务器）"),
    "list_sep": ("; ", "；"),
    # the decision
    "rec.none": ("**No plan meets this scenario.** See the diagnosis below.", "**没有方案能满足本场景。** 见下文诊断。"),
    "rec.fleet": ("{n} × {oid} ({cards} × {card} in all)", "{n} × {oid}（共 {cards} 张 {card}）"),
    "rec.owned": ("already owned: {kept}", "已有：{kept}"),
    "rec.mix_kept": (
        "This plan buys from several vendors. The best single-vendor plan, {fleet}, costs {cost}: the mix saves {saving}, "
        "more than the {min} % a second vendor must save (constraints.mix_min_saving_pct).",
        "本方案向多家厂商采购。最优单一厂商方案为 {fleet}，{cost}：混合采购节省 {saving}，超过第二家厂商须节省的 {min}%"
        "（constraints.mix_min_saving_pct）。",
    ),
    "rec.mix_declined": (
        "A vendor mix, {fleet}, would cost {cost} and save {saving} against this single-vendor plan: not more than the {min} % "
        "a second vendor must save (constraints.mix_min_saving_pct), so the single-vendor plan is recommended.",
        "混合采购方案 {fleet} 需 {cost}，比本单一厂商方案节省 {saving}，未超过第二家厂商须节省的 {min}%"
        "（constraints.mix_min_saving_pct），因此推荐单一厂商方案。",
    ),
    "rec.ttft": ("TTFT {x} ms vs {t} ms target ({h} headroom)", "TTFT {x} ms，目标 {t} ms（余量 {h}）"),
    "rec.tpot": ("TPOT {x} ms vs {t} ms ({h} headroom)", "TPOT {x} ms，目标 {t} ms（余量 {h}）"),
    "rec.capacity": ("capacity {served} {unit} vs {amount} needed ({h})", "容量 {served} {unit}，需求 {amount}（{h}）"),
    "rec.max_load": (
        "**Run {shape} on {buy}: serves {served} {unit}, the most this fleet can within the SLAs** ({status}; cost {cost}). "
        "{heads} ({stat} latencies).",
        "**在 {buy} 上运行 {shape}：服务 {served} {unit}，为该机群在 SLA 内的最大负载**（{status}；成本 {cost}）。"
        "{heads}（{stat}时延）。",
    ),
    "rec.centre": (" At the model's central estimate the same replicas run at {heads}.", "按模型中心估计，同一组副本的时延为 {heads}。"),
    "power.sentence": ("Power per server: {parts}.", "每台服务器功耗：{parts}。"),
    "power.stated": ("{oid} {kw} kW (the offer's stated wall power)", "{oid} {kw} kW（报价给出的整机功耗）"),
    "power.cards": ("{oid} {kw} kW ({n} × {tdp} W card TDP + {h} % host overhead)",
                    "{oid} {kw} kW（{n} × {tdp} W 卡 TDP + {h}% 主机开销）"),
    "power.unknown": ("{oid} unknown (no TDP in the catalog, no server_power_w)", "{oid} 未知（目录无 TDP，报价无 server_power_w）"),
    "power.card_only": (
        " Card power only: a server draws more (CPUs, memory, NICs, fans); give offers[].server_power_w from the spec "
        "sheet or objective.host_overhead_pct.",
        " 仅计卡功耗：整机功耗更高（CPU、内存、网卡、风扇）；可在报价中给出 server_power_w 或设置 objective.host_overhead_pct。",
    ),
    "power.duty": (" Energy at {duty} duty and PUE {pue}.", " 能耗按 {duty} 负载时间占比、PUE {pue} 计。"),
    "rec.latency_band": (
        "Latency range of this plan (10–90 %, where published runs held out of the model's fit fell around its central "
        "estimate): {parts}.",
        "本方案时延区间（10–90 %，即未参与拟合的公开实测相对中心估计的落点）：{parts}。",
    ),
    "link.compare": ("Bid comparison with break-even prices", "投标比较与盈亏平衡价格"),
    "link.whatif": ("What-if sweeps", "假设分析（参数扫描）"),
    "rec.policy": (" Sizing policy: this plan includes {parts}.", "选型策略：本方案已包含{parts}。"),
    "rec.policy_headroom": ("a {h} % capacity margin (sized for {need} instead of the stated load)",
                            "{h}% 的容量余量（按 {need} 而非标称负载选型）"),
    "rec.policy_spare": ("one spare server (the load is still served with any one server down)",
                         "一台冗余服务器（任一服务器宕机时仍能承载负载）"),
    "rec.thin_margin": (
        " Warning: under 5 % headroom on {what} at the model's central estimate, so a model error that small breaks the "
        "SLA; sla.confidence or sla.headroom_pct buys a margin.",
        "警告：按模型中心估计，{what} 的余量不足 5%，很小的模型误差即会违反 SLA；可通过 sla.confidence 或 sla.headroom_pct 留出余量。",
    ),
    "rec.buy": ("Buy {bought}", "购买 {bought}"),
    "rec.buy_and_keep": ("Buy {bought} and use the {kept} already owned", "购买 {bought}，并沿用已有的 {kept}"),
    "rec.keep_only": ("Buy nothing: use the {kept} already owned", "无需购买：使用已有的 {kept}"),
    "rec.sentence": (
        "**{verb} for {cost}** ({status}). {heads} ({stat} latencies at confidence {conf}).",
        "**{verb}，共 {cost}**（{status}）。{heads}（{stat}时延，置信度 {conf}）。",
    ),
    "rec.range": (
        " Range: {n_central} server(s) for {cost_central} at the model's central estimate, {n_best} for {cost_best} at "
        "confidence {conf} (no more hardware needed over {conf} of the model's error on held-out published runs; "
        "10–90 %: {low} – {high}).",
        "区间：按模型中心估计需 {n_central} 台服务器、{cost_central}；置信度 {conf} 下需 {n_best} 台、{cost_best}"
        "（模型误差来自留出的公开测量，在其 {conf} 的范围内无需更多硬件；10–90 %：{low} – {high}）。",
    ),
    "rec.range_same": (
        " Range: the same plan at both ends: the central estimate and confidence {conf} both buy it (10–90 % of the "
        "model's error: {low} – {high}).",
        "区间：两端为同一方案：中心估计与置信度 {conf} 下均购买该方案（模型误差 10–90 %：{low} – {high}）。",
    ),
    "rec.range_dear": (
        " At confidence {conf} the plan costs {ratio}× the central estimate: its {sla} target binds there ({x} ms vs "
        "{t} ms), near what these cards reach, so a looser target moves the cost most (procure whatif --{flag} ...).",
        "置信度 {conf} 下方案成本为中心估计的 {ratio} 倍：此时 {sla} 目标起约束作用（{x} ms，目标 {t} ms），接近这些卡的能力，"
        "放宽该目标对成本影响最大（procure whatif --{flag} ...）。",
    ),
    "rec.range_central_only": (
        " At the model's central estimate {n_central} server(s) for {cost_central} would meet the SLAs, but not in {conf} "
        "of cases: the band of the prediction is wider than the SLA's margin.",
        "按模型的中心估计，{n_central} 台服务器、{cost_central} 即可满足 SLA，但达不到 {conf} 的把握：预测区间宽于 SLA 的余量。",
    ),
    "rec.tco_split": (
        "Of the {total} total cost of ownership, {capex} is the purchase (capex) and {energy} the energy over {years} "
        "year(s) at PUE {pue} and RMB {kwh}/kWh.",
        "总拥有成本 {total} 中，采购（资本支出）{capex}，{years} 年电费 {energy}（PUE {pue}，每千瓦时 {kwh} 元）。",
    ),
    # the bid table
    "bids.intro": (
        "One row per bid, each with its own cheapest plan (with any hardware already owned).",
        "每个投标一行，各自给出其最便宜的方案（含已有硬件）。",
    ),
    "bids.col.bid": ("bid", "投标"),
    "bids.col.vendor": ("vendor", "供应商"),
    "bids.col.card": ("card", "加速卡"),
    "bids.col.price": ("price / server", "单台服务器价格"),
    "bids.col.plan": ("plan", "方案"),
    "bids.col.servers": ("servers / cards", "服务器 / 卡"),
    "bids.col.cost": ("cost", "成本"),
    "bids.col.central": ("central estimate (servers)", "中心估计（服务器）"),
    "bids.col.spread": ("cost 10–90 %", "成本 10–90 %"),
    "bids.note.spread": (
        "The cost is the bid's own plan at the scenario's confidence: the bid is sized at that quantile of the "
        "model's error (one shared error per card family, engine and model class, read from the errors the model made "
        "on published runs held out of its fit; a worse error never lets a bid buy less), so the purchase meets "
        "the SLAs on that share of its error's range. \"Central estimate\" is the same bid at the model's own estimate "
        "(its 50 % quantile); \"cost 10–90 %\" the bid's cost at the 10 % and 90 % quantiles (— where it has no plan).",
        "成本为该投标在场景置信度下的方案：按模型误差的该分位数为该投标定规模（每个加速卡系列、引擎与模型类别共享一个误差，取自模型在拟合时"
        "留出的公开测量上的误差；误差越差，所需硬件不会越少），因此该采购在该比例的误差范围内满足 SLA。"
        "“中心估计”为模型自身估计下的同一投标（即 50 % 分位）；“成本 10–90 %”为该投标在 10 % 与 90 % 分位的成本（无方案处为 —）。",
    ),
    "bids.col.capex": ("capex", "资本支出"),
    "bids.col.energy": ("energy ({years} y)", "电费（{years} 年）"),
    "bids.col.tco": ("TCO", "总拥有成本"),
    "bids.col.per_mtok": ("RMB per million output tokens ¹", "每百万输出 token 成本（元）¹"),
    "bids.col.break_even": ("break-even price / server ²", "盈亏平衡价格 / 台 ²"),
    "bids.col.risk": ("top risk", "首要风险"),
    "bids.cannot": ("cannot serve: {reason}", "无法满足：{reason}"),
    "bids.servers_plan": ("{n} servers: {shape}", "{n} 台：{shape}"),
    "bids.be_bid": ("{be} (bid {price})", "{be}（报价 {price}）"),
    "bids.note.per_mtok": (
        "¹ Plan cost ÷ the output tokens its replicas can produce over a 3-year life at 100 % utilisation "
        "(predicted output tokens/s × 94,608,000 s). A fleet runs below capacity, so the cost per token actually "
        "served is higher; the figure ranks bids, it is not a price.",
        "¹ 方案成本 ÷ 其副本在 3 年寿命内、100 % 利用率下可生成的输出 token 数（预测输出 token/秒 × 94,608,000 秒）。"
        "实际机群达不到满负荷，真实单位成本更高；此数用于比较投标，并非报价。",
    ),
    "bids.note.break_even": (
        "² The highest price per server at which the bid would win: its own plan costs less than the winner's (or "
        "as much while serving more), found by re-solving at each price (bisection).",
        "² 该投标能够中标的最高单台价格：其自身方案成本低于中标方案（或成本相同而服务更多负载），在每个价格下重新求解（二分法）得到。",
    ),
    # risks
    "risk.export": ("export control: {text}", "出口管制：{text}"),
    "risk.thin": (
        "thin calibration ({family}: {fam_rows} rows, {engine}: {eng_rows} rows): wide band",
        "校准数据少（{family}：{fam_rows} 行，{engine}：{eng_rows} 行）：误差带宽",
    ),
    "risk.price": ("price is a{n} {kind}, not a firm quote", "价格为{kind}，非正式报价"),
    "risk.no_fp8": ("no FP8 units: the FP8 checkpoint runs as INT8 or BF16", "无 FP8 单元：FP8 权重以 INT8 或 BF16 运行"),
    "risk.pcie": ("PCIe only: tensor parallelism over PCIe", "仅 PCIe：张量并行走 PCIe"),
    "risk.ecosystem": ("ecosystem: {text}", "软件生态：{text}"),
    "risk.none": ("none flagged", "未发现"),
    "kind.estimate": ("estimate", "估算"),
    "kind.catalog": ("catalog price", "目录价"),
    "kind.quote": ("quote", "报价"),
    # plots
    "plots.intro": ("From the what-if sweeps written beside this report:", "来自本报告旁生成的假设分析："),
    "plot.budget": ("Load served per budget, per bid", "各投标在不同预算下可服务的负载"),
    "plot.budget_pareto": ("Pareto front: cost vs served load", "帕累托前沿：成本与服务负载"),
    "plot.tpot": ("Cost per TPOT target, per bid", "各投标在不同 TPOT 目标下的成本"),
    "plot.ttft": ("Cost per TTFT target, per bid", "各投标在不同 TTFT 目标下的成本"),
    "plot.load": ("Cost per load, per bid", "各投标在不同负载下的成本"),
    "plot.growth": ("Discounted cost per load growth, phased and all at once", "不同负载增长率下的折现成本（分期与一次性）"),
    "plot.decline": ("Discounted cost per price decline, phased and all at once", "不同价格降幅下的折现成本（分期与一次性）"),
    "plot.discount": ("Discounted cost per discount rate, phased and all at once", "不同折现率下的折现成本（分期与一次性）"),
    "plot.delivered": ("Cost as the share delivered moves, per bid", "各投标在不同到货比例下的成本"),
    # detail
    "ranked.status": (
        "Status {status}; objective {objective}, best bound {bound}; {n} replica designs met memory and the SLAs.",
        "求解状态 {status}；目标值 {objective}，最优下界 {bound}；{n} 种副本设计满足显存与 SLA。",
    ),
    "ranked.cols": (
        "rank|offer / card|servers|cards|TP/PP/EP × DP|precision|batch|TTFT ms|TPOT ms|tokens/s|cost|gap to best",
        "排名|投标 / 加速卡|服务器|卡数|TP/PP/EP × DP|精度|批大小|TTFT ms|TPOT ms|token/秒|成本|与最优差距",
    ),
    "splits.cols": (
        "split|cards per replica|replicas|{unit} served|TTFT ms|TPOT ms|bottleneck",
        "切分|每副本卡数|副本数|服务 {unit}|TTFT ms|TPOT ms|瓶颈",
    ),
    "weights.cols": (
        "offer|precision|weights|usable per card|cards needed for weights alone",
        "投标|精度|权重|每卡可用|仅放权重所需卡数",
    ),
    "weights.unsupported": ("not supported on this card", "该卡不支持"),
    "diag.binding": ("Binding: {binding}.", "起约束作用的条件：{binding}。"),
    "note.model": (
        "Performance model: engine profiles {engines}{spec}; each bid is sized at quantiles of the model's error "
        "(one shared error per card family, engine and model class, from its errors on published runs held out of "
        "the fit) and bought at confidence {conf}: that share of the error's range needs no more hardware.{span}",
        "性能模型：推理引擎配置 {engines}{spec}；每个投标按模型误差的分位数定规模（每个卡系列、引擎与模型类别共享一个误差，"
        "取自拟合时留出的公开测量上的误差），并按置信度 {conf} 采购：在该比例的误差范围内无需更多硬件。{span}",
    ),
    "note.spec": (
        ", {method} speculative decoding at {accept} tokens/step",
        "，{method} 投机解码，每步 {accept} 个 token",
    ),
    "note.span": (
        " At the central estimate the cheapest plan is {buy} for {central}; at confidence {conf} {best}.",
        "按中心估计，最便宜的方案为 {buy}，{central}；置信度 {conf} 下为 {best}。",
    ),
    "warn.unmeasured": (
        "- {oid}: no published run of the {family} family is in the fit ({engine}: {eng_rows} rows): its factors are the "
        "pooled prior and its band the widest the model gives; treat its plan as a rough estimate until a benchmark on "
        "this card is added.",
        "- {oid}：拟合中没有 {family} 系列的任何公开实测（{engine}：{eng_rows} 行）：其系数为汇总先验，误差带为模型给出的最宽区间；"
        "在加入该卡的实测前，其方案仅为粗略估计。",
    ),
    "risk.unmeasured": ("unmeasured family ({family}): pooled prior, widest band", "未实测系列（{family}）：汇总先验，最宽误差带"),
    "warn.thin": (
        "- {oid}: thin calibration ({family}: {fam_rows} rows, {engine}: {eng_rows} rows); its factors sit near the "
        "pooled values and its band is wide.",
        "- {oid}：校准数据少（{family}：{fam_rows} 行，{engine}：{eng_rows} 行）；其系数接近汇总值，误差带宽。",
    ),
    "warn.no_fp8": (
        "- {oid}: {card} has no FP8 units; the FP8 checkpoint runs as INT8 (W8A8) or BF16 (twice the memory).",
        "- {oid}：{card} 无 FP8 单元；FP8 权重以 INT8（W8A8）或 BF16（显存加倍）运行。",
    ),
    "warn.pcie": (
        "- {oid}: {card} has no NVLink-class link; tensor parallelism goes over PCIe.",
        "- {oid}：{card} 无 NVLink 级互联；张量并行走 PCIe。",
    ),
    "warn.price": ("- {oid}: price is a{n} {kind}, not a firm quote.", "- {oid}：价格为{kind}，非正式报价。"),
    "warn.export": ("- {oid}: export control — {text}", "- {oid}：出口管制 — {text}"),
    "asm.model": ("- Model: {name}, {source}.", "- 模型：{name}，{source}。"),
    "asm.workload": (
        "- Workload: {inp} prompt + {out} output tokens per request; KV memory sized for {ctx} tokens; load {amount} {unit}.",
        "- 负载：每请求 {inp} 个提示词 token + {out} 个输出 token；KV 显存按 {ctx} token 预留；负载 {amount} {unit}。",
    ),
    "asm.serving": (
        "- Serving model: continuous batching with prefill priority; a replica at concurrency b serves "
        "1 / (prefill + (O−1)·step/b) requests/s; TTFT adds half a step and an M/D/1 wait for the other users' prefills.",
        "- 服务模型：连续批处理、预填充优先；并发为 b 的副本每秒服务 1 / (prefill + (O−1)·step/b) 个请求；"
        "TTFT 另加半步及其他用户预填充的 M/D/1 排队等待。",
    ),
    "asm.limits": (
        "- Engine limits: {usable} of memory usable, {overhead} GB runtime overhead per card ({source}). A card's memory "
        "is what its driver reports (an \"80 GB\" H100: 81,559 MiB = 85.5 GB), else its stated size read as binary "
        "(GiB), in GB of 10^9 bytes, the unit of every memory figure here.",
        "- 引擎限制：显存可用 {usable}，每卡运行时开销 {overhead} GB（{source}）。卡的显存取驱动报告的容量（标称 80 GB 的 H100："
        "81,559 MiB = 85.5 GB），否则按二进制（GiB）读取标称容量；本报告所有显存数字均以 GB（10^9 字节）为单位。",
    ),
    "asm.card": (
        "- {oid} ({card}): {mem} GB, {bw} GB/s, dense TFLOPS {tflops} ({source}, {date}); factors for {family} × {engine}: "
        "MBU {mbu}, MFU decode GEMMs {mfu_d}, decode attention {mfu_a}, prefill {mfu_p}, expert-stream share {ebw}, "
        "{step} ms per step + {moe} µs per MoE layer, {fe} ms front end ({pace} ms a request when a burst queues) "
        "(fitted on {rows} published rows from {sources} sources; {method}).",
        "- {oid}（{card}）：{mem} GB，{bw} GB/s，稠密 TFLOPS {tflops}（{source}，{date}）；{family} × {engine} 系数："
        "MBU {mbu}，解码 GEMM MFU {mfu_d}，解码注意力 MFU {mfu_a}，预填充 MFU {mfu_p}，专家权重流占比 {ebw}，每步 {step} ms + 每 MoE 层 {moe} µs，"
        "前端 {fe} ms（突发排队时每请求 {pace} ms）（基于 {sources} 个来源的 {rows} 行公开数据拟合；{method}）。",
    ),
    "asm.price": ("- Price of {oid}: {note}", "- {oid} 的价格：{note}"),
    "asm.source": ("- Source: {src}", "- 来源：{src}"),
    "provenance": (
        "Provenance: procure {version}; scenario sha256 {scenario}; catalog sha256 {catalog} ({files} files).",
        "版本信息：procure {version}；场景 sha256 {scenario}；目录 sha256 {catalog}（{files} 个文件）。",
    ),
    "provenance.overlay": (
        "Provenance: procure {version}; scenario sha256 {scenario}; catalog sha256 {catalog} ({files} files) "
        "+ overlay {overlay} (sha256 {overlay_sha}, {overlay_files} files).",
        "版本信息：procure {version}；场景 sha256 {scenario}；目录 sha256 {catalog}（{files} 个文件）"
        "+ 覆盖目录 {overlay}（sha256 {overlay_sha}，{overlay_files} 个文件）。",
    ),
    # comparison
    "cmp.detail_intro": (
        "Headroom against each SLA in brackets; RMB per 1k tok/s: plan cost per 1,000 output tokens/s of capacity.",
        "括号内为相对各 SLA 的余量；每 1k token/秒成本：方案成本 ÷ 每 1,000 输出 token/秒的容量。",
    ),
    "cmp.cols": (
        "bid|vendor|card|plan|servers / cards|total|RMB per 1k tok/s|TTFT ms|TPOT ms|tokens/s|power kW|bottleneck|"
        "break-even price / server",
        "投标|供应商|加速卡|方案|服务器 / 卡|总价|每 1k token/秒成本|TTFT ms|TPOT ms|token/秒|功耗 kW|瓶颈|盈亏平衡价格 / 台",
    ),
    "cmp.none": ("No bid can serve the scenario on its own.", "没有任何单个投标能独自满足本场景。"),
    "cmp.owned": (
        "No purchase needed: the hardware already owned ({owned}) serves the scenario, {tok} output tokens/s.",
        "无需采购：已有硬件（{owned}）即可满足本场景，{tok} 输出 token/秒。",
    ),
    "cmp.wins": (
        "{winner} ({vendor}, {card}) wins at {cost}: {n} servers ({shape}) deliver {tok} output tokens/s at {per} "
        "per 1,000 tokens/s.",
        "{winner}（{vendor}，{card}）以 {cost} 中标：{n} 台服务器（{shape}）提供 {tok} 输出 token/秒，"
        "每 1,000 token/秒 {per}。",
    ),
    "cmp.cannot": (" {oid} cannot serve: {reason}.", " {oid} 无法满足：{reason}。"),
    "cmp.would_win": ("; it would win at {be} per server or less", "；单台价格不高于 {be} 时可中标"),
    "cmp.needs": (" {oid} needs {n} servers for {cost} ({gap} more{be}).", " {oid} 需 {n} 台服务器、{cost}（多 {gap}{be}）。"),
    # the workbook (--format xlsx): sheet names and column headers; money headers name the unit the cells hold
    "xlsx.sheet.bids": ("Bids", "投标"),
    "xlsx.sheet.plans": ("Ranked plans", "方案排序"),
    "xlsx.sheet.compare": ("Bid comparison", "投标比较"),
    "xlsx.sheet.unpriced": ("Bids without a price", "尚未报价的投标"),
    "xlsx.col.servers_needed": ("Servers needed", "所需服务器"),
    "xlsx.col.central_servers": ("Servers at the central estimate", "中心估计服务器数"),
    "xlsx.col.available_servers": ("Servers offered", "报价服务器数"),
    "xlsx.col.central_cost_rmb": ("Cost at the central estimate (RMB)", "中心估计成本（万元）"),
    "xlsx.col.cost_rmb_p10": ("Cost at the 10 % quantile of the model's error (RMB)", "成本 P10（万元）"),
    "xlsx.col.cost_rmb_p90": ("Cost at the 90 % quantile of the model's error (RMB)", "成本 P90（万元）"),
    "xlsx.yes": ("Yes", "是"),
    "xlsx.no": ("No", "否"),
    "xlsx.col.rank": ("Rank", "排名"),
    "xlsx.col.gap_to_best_rmb": ("Gap to best (RMB)", "与最优差距（万元）"),
    "xlsx.col.offer": ("Bid", "投标"),
    "xlsx.col.vendor": ("Vendor", "供应商"),
    "xlsx.col.card": ("Card", "加速卡"),
    "xlsx.col.price_kind": ("Price kind", "价格类型"),
    "xlsx.col.price_rmb_per_server": ("Price per server (RMB)", "单台服务器价格（万元）"),
    "xlsx.col.feasible": ("Can serve", "能否满足"),
    "xlsx.col.servers": ("Servers", "服务器"),
    "xlsx.col.cards": ("Cards", "卡数"),
    "xlsx.col.cost_rmb": ("Cost (RMB)", "成本（万元）"),
    "xlsx.col.capex_rmb": ("Capex (RMB)", "资本支出（万元）"),
    "xlsx.col.energy_rmb": ("Energy (RMB)", "电费（万元）"),
    "xlsx.col.rmb_per_million_output_tokens": ("RMB per million output tokens", "每百万输出 token 成本（元）"),
    "xlsx.col.served": ("Load served", "服务负载"),
    "xlsx.col.served_unit": ("Load unit", "负载单位"),
    "xlsx.col.designs": ("Replica designs", "副本设计"),
    "xlsx.col.worst_ttft_ms": ("Worst TTFT (ms)", "最差 TTFT（ms）"),
    "xlsx.col.worst_tpot_ms": ("Worst TPOT (ms)", "最差 TPOT（ms）"),
    "xlsx.col.reason": ("Why it cannot serve", "无法满足的原因"),
    "xlsx.col.top_risk": ("Top risk", "首要风险"),
    "xlsx.col.break_even_price_rmb_per_server": ("Break-even price per server (RMB)", "盈亏平衡价格 / 台（万元）"),
    "xlsx.col.power_kw": ("Power (kW)", "功耗（kW）"),
    **BREAKDOWN_MESSAGES,
    **SWEEP_MESSAGES,
    **FLEET_MESSAGES,
    **PHASE_MESSAGES,
}

GLOSSARY: tuple[tuple[str, str, str], ...] = (  # term, English, Chinese
    ("TTFT", "time to first token: from a request's arrival to its first output token, queueing included.",
     "首 token 时延：从请求到达到第一个输出 token 的时间，含排队。"),
    ("TPOT", "time per output token after the first: how fast the answer streams.",
     "每输出 token 时延：首 token 之后每个 token 的间隔，即回答的流出速度。"),
    ("MBU", "memory-bandwidth utilisation: the share of the card's peak memory bandwidth a decode step achieves.",
     "显存带宽利用率：解码一步实际达到的峰值显存带宽占比。"),
    ("MFU", "model FLOPs utilisation: the share of the card's peak compute the model's arithmetic achieves.",
     "模型算力利用率：模型计算实际达到的峰值算力占比。"),
    ("M/D/1", "a queue with random (Poisson) arrivals, a fixed service time and one server: used for the wait before a "
     "prompt's prefill.", "泊松到达、固定服务时间、单服务台的排队模型，用于估算预填充前的等待。"),
    ("TP/PP/EP", "tensor, pipeline and expert parallelism: how many cards one layer, the stack of layers and the experts "
     "of a MoE model are split over; DP is the number of independent replicas.",
     "张量、流水线与专家并行：单层、层堆叠与 MoE 专家分别切分到多少张卡上；DP 为独立副本数。"),
    ("MoE", "mixture of experts: each token runs through a few of many expert sub-networks, so far fewer parameters are "
     "active per token than are stored.", "混合专家模型：每个 token 只经过众多专家子网络中的少数几个，激活参数远少于总参数。"),
    ("MLA", "multi-head latent attention (DeepSeek): the KV cache is stored compressed, so each token needs much less "
     "memory.", "多头潜在注意力（DeepSeek）：KV 缓存以压缩形式存储，每个 token 占用显存大幅减少。"),
    ("KV cache", "the attention keys and values kept for every token of every conversation in flight; it sets how many "
     "users fit in memory.", "为每个进行中会话的每个 token 保存的注意力键值；它决定显存能容纳多少用户。"),
    ("confidence band", "the spread of the model's error on published runs it was not fitted on; a plan at confidence "
     "0.8 meets the SLAs where 80 % of those runs would. That spread was measured with refits that stay near the "
     "shipped fit; refits started from nothing miss by more, so read it as the narrow end of what the data allow "
     "(README, 'Calibration: fitted honestly, with bands').",
     "模型在未参与拟合的公开测试上的误差范围；置信度 0.8 的方案在其中 80 % 的情况下满足 SLA。该范围由贴近现有拟合的重新拟合测得；"
     "从零开始的重新拟合误差更大，因此应视为数据所允许范围的窄端（见 README「Calibration: fitted honestly, with bands」一节）。"),
    ("break-even", "the highest price per server at which a losing bid's own plan would cost less than the winner's.",
     "盈亏平衡价：落标投标自身方案成本低于中标方案时的最高单台价格。"),
)


def tr(lang: str, key: str, /, **values: object) -> str:
    """The template `key` in `lang`, filled with `values` (already formatted strings or numbers)."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: use one of {', '.join(LANGS)}")
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**values)


def columns(lang: str, key: str, /, **values: object) -> list[str]:
    """A table header: the template `key` holds the column names separated by '|'."""
    return tr(lang, key, **values).split("|")


def word(lang: str, prefix: str, value: str) -> str:
    """A translated word (status, statistic, unit, price kind), or the value itself when none is known."""
    key = f"{prefix}.{value}"
    return tr(lang, key) if key in MESSAGES else value


def glossary(lang: str) -> list[str]:
    tr(lang, "h.glossary")  # checks the language
    return [f"- **{term}**: {zh if lang == 'zh' else en}" for term, en, zh in GLOSSARY]
