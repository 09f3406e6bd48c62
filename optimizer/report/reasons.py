"""The solver's reasons in the report's language. The plan layer states why a bid cannot serve and
what relaxation would work in English sentences of a few fixed shapes (plan.designs, plan.diagnose,
problem.vendor_rule); a Chinese report translates each shape here, keeps the numbers and ids as they
are, and turns RMB amounts into 万元. A sentence of no known shape stays English rather than being
guessed at."""

from __future__ import annotations

import re

from optimizer.report.format import localize_amounts

# (pattern of one English reason, its Chinese form); named groups carry the numbers and ids across.
_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (r"^(?P<m>TTFT|TPOT) ≤ (?P<t>[\d.,]+) ms is unreachable: (?:its|the) fastest design reaches (?P<x>[\d.,]+) ms$",
     "{m} ≤ {t} ms 无法达到：最快的设计为 {x} ms"),
    (r"^no listed precision runs on this card: (?P<notes>.*)$", "该卡无法运行所列任何精度：{notes}"),
    (r"^the model does not fit in memory in any allowed TP/PP/EP split and precision$",
     "在任何允许的 TP/PP/EP 切分和精度下，模型都装不进显存"),
    (r"^no design meets both SLAs at once$", "没有任何设计能同时满足两项 SLA"),
    (r"^no design meets the SLAs$", "没有任何设计满足 SLA"),
    (r"^no design meets memory and the SLAs$", "没有任何设计同时满足显存与 SLA"),
    (r"^no price helps: no design of this bid meets memory and the SLAs$", "降价也无济于事：该投标没有任何设计同时满足显存与 SLA"),
    (r"^each SLA is reachable alone but no design meets both at once: relax one of them$",
     "每项 SLA 单独都可达到，但没有设计能同时满足两项：请放宽其中一项"),
    (r"^more servers than offered: (?P<need>.*), (?P<cost>RMB [\d,]+)$", "所需服务器超过报价数量：{need}，{cost}"),
    (r"^a budget of (?P<cost>RMB [\d,]+) \(cap (?P<cap>[\d,]+)\) would suffice: (?P<need>.*)$",
     "预算提高到 {cost}（当前上限 {cap} 元）即可：{need}"),
    (r"^allowing (?P<n>\d+) servers \(cap (?P<cap>\d+)\) would suffice$", "允许 {n} 台服务器（当前上限 {cap}）即可"),
    (r"^a power cap of (?P<kw>[\d.,]+) kW \(cap (?P<cap>[\d.,]+)\) would suffice$", "功耗上限提高到 {kw} kW（当前 {cap}）即可"),
    (r"^dropping sla\.headroom_pct \((?P<h>[\d.]+) %\) would suffice: (?P<need>.*), (?P<cost>RMB [\d,]+)$",
     "取消 sla.headroom_pct（{h}%）即可：{need}，{cost}"),
    (r"^dropping constraints\.n_plus_one \(a spare server's worth of capacity\) would suffice: (?P<need>.*), (?P<cost>RMB [\d,]+)$",
     "取消 constraints.n_plus_one（一台冗余服务器的容量）即可：{need}，{cost}"),
    (r"^allowing several replica designs per offer \(constraints\.one_shape_per_offer\) would suffice: (?P<need>.*), "
     r"(?P<cost>RMB [\d,]+)$", "允许每个报价使用多种副本设计（constraints.one_shape_per_offer）即可：{need}，{cost}"),
    (r"^dropping constraints\.robust_to \(trusting every bid to deliver\) would suffice: (?P<need>.*), (?P<cost>RMB [\d,]+)$",
     "取消 constraints.robust_to（相信每家投标都能足额交付）即可：{need}，{cost}"),
    (r"^a mixed fleet would work: (?P<need>.*), (?P<cost>RMB [\d,]+)$", "混合多家供应商即可：{need}，{cost}"),
    (r"^only relaxing several limits at once works: (?P<need>.*) servers, (?P<cost>RMB [\d,]+)$",
     "只有同时放宽多项限制才可行：{need} 台服务器，{cost}"),
    (r"^vendor '(?P<v>.*)' is excluded by the scenario's vendor rules$", "供应商“{v}”被场景的供应商规则排除"),
    # the first clauses a plot's legend keeps (analysis.sweeps.short_reason)
    (r"^more servers than offered$", "所需服务器超过报价数量"),
    (r"^(?P<m>TTFT|TPOT) ≤ (?P<t>[\d.,]+) ms is unreachable$", "{m} ≤ {t} ms 无法达到"),
    (r"^cannot cover the load$", "无法覆盖负载"),
    (r"^cannot serve the load$", "无法满足负载"),
    (r"^a budget of (?P<cost>RMB [\d,]+) \(cap (?P<cap>[\d,]+)\) would suffice$", "预算提高到 {cost}（当前上限 {cap} 元）即可"),
    (r"^dropping sla\.headroom_pct \((?P<h>[\d.]+) %\) would suffice$", "取消 sla.headroom_pct（{h}%）即可"),
    (r"^dropping constraints\.n_plus_one \(a spare server's worth of capacity\) would suffice$", "取消 constraints.n_plus_one 即可"),
    (r"^allowing several replica designs per offer \(constraints\.one_shape_per_offer\) would suffice$", "允许每个报价使用多种副本设计即可"),
    (r"^dropping constraints\.robust_to \(trusting every bid to deliver\) would suffice$", "取消 constraints.robust_to 即可"),
    (r"^a mixed fleet would work$", "混合多家供应商即可"),
    (r"^only relaxing several limits at once works$", "只有同时放宽多项限制才可行"),
    (r"^owned hardware: no price to negotiate$", "已有硬件：无需议价"),
    (r"^no schedule serves every period$", "没有任何采购计划能满足每一期"),
    (r"^time-out: no schedule found, no proof there is none$", "超时：未找到采购计划，也未证明不存在"),
    (r"^not a price question: the objective is the most load; compare the load served$",
     "不是价格问题：目标是最大负载，请比较可服务的负载"),
))
_CONFIDENCE = re.compile(r"^at confidence (?P<c>\d+%): (?P<rest>.*)$")
_CONFIDENCE_AFTER = re.compile(r"^(?P<rest>.*) \(at confidence (?P<c>\d+%)\)$")
_NOTE = re.compile(r"^note: (?P<notes>.*) \((?P<tried>[^()]*) tried\)$")
_NEED = re.compile(r"(?P<n>\d+) x (?P<oid>[^\s,()]+)(?: \(available (?P<a>\d+)\))?")


def _need(text: str) -> str:
    """'20 x rtx4090-8x (available 4)' -> '20 × rtx4090-8x（可供 4 台）'."""
    return _NEED.sub(lambda m: f"{m['n']} × {m['oid']}" + (f"（可供 {m['a']} 台）" if m["a"] else ""), text)


def _one(part: str) -> str:
    m = _CONFIDENCE.match(part)
    if m:
        return f"置信度 {m['c']} 时：{_one(m['rest'])}"
    m = _CONFIDENCE_AFTER.match(part)
    if m:
        return f"{_one(m['rest'])}（置信度 {m['c']}）"
    m = _NOTE.match(part)
    if m:
        return f"注：{m['notes']}（已尝试 {m['tried']}）"
    for pattern, zh in _ZH:
        m = pattern.match(part)
        if m:
            groups = {k: (_need(v) if k == "need" else v) for k, v in m.groupdict().items()}
            return zh.format(**groups)
    return part


def localize_reason(text: str, lang: str) -> str:
    """A reason (parts joined by '; ' or '; or ') in the report's language, amounts in its unit."""
    if lang != "zh" or not text:
        return localize_amounts(text, lang)
    alternatives = text.split("; or ")
    translated = "；或 ".join("；".join(_one(p) for p in alt.split("; ")) for alt in alternatives)
    return localize_amounts(translated, lang)
