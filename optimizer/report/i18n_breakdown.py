"""The words of a plan's breakdown (report.plan_detail: each replica group's memory, decode step,
prefill, latencies and what its timing counts on) in English and Chinese; optimizer.report.i18n
merges them into its MESSAGES."""

from __future__ import annotations

BREAKDOWN_MESSAGES: dict[str, tuple[str, str]] = {
    "bd.head": (
        "**{key}** × {count} — {cards} cards per replica over {servers} server(s), compute in {cp}, KV cache {kv}",
        "**{key}** × {count} — 每副本 {cards} 张卡，跨 {servers} 台服务器，计算精度 {cp}，KV 缓存 {kv}",
    ),
    "bd.memory": (
        "- memory per card: weights {w} GB + KV {kv} GB + activations {a} GB + runtime {o} GB = {t} GB of {c} GB usable",
        "- 每卡显存：权重 {w} GB + KV {kv} GB + 激活 {a} GB + 运行时 {o} GB = {t} GB（可用 {c} GB）",
    ),
    "bd.decode": (
        "- decode step {s} ms = max(memory {m}, compute {c}) + communication {x} + overhead {o} ms — **{b}-bound**",
        "- 解码一步 {s} ms = max(访存 {m}, 计算 {c}) + 通信 {x} + 开销 {o} ms — **{b}受限**",
    ),
    "bd.prefill": (
        "- prefill of one prompt {p} ms; TTFT with queueing {ttft} ms; TPOT with prefill interference {tpot} ms; "
        "{tok} output tokens/s per replica",
        "- 单个提示词预填充 {p} ms；含排队的 TTFT {ttft} ms；含预填充干扰的 TPOT {tpot} ms；每副本 {tok} 输出 token/秒",
    ),
    "bd.quantized_allreduce": (
        "- large all-reduces run quantized to {codec} on the wire: {engine} sets AITER_QUICK_REDUCE_QUANTIZATION={codec} "
        "itself for this model, over the environment; the timing above counts on it, and it is lossy, so check output "
        "quality (without it, serve with another engine and expect a slower prefill)",
        "- 大的 all-reduce 以 {codec} 量化传输：{engine} 对该模型自行设置 AITER_QUICK_REDUCE_QUANTIZATION={codec}，"
        "覆盖环境变量；上述时间以此为前提，且有损，请检验输出质量（若不用它，请换用其他引擎，并预期预填充变慢）",
    ),
    "bd.pool_head": (
        "**{key}** × {count} — {role} replica, {cards} cards over {servers} server(s), compute in {cp}",
        "**{key}** × {count} — {role} 副本，{cards} 张卡，跨 {servers} 台服务器，计算精度 {cp}",
    ),
    "bd.pool_prefill": (
        "- prefill of one prompt {p} ms ({b}-bound); run {busy} busy so that TTFT with queueing and the KV hand-over "
        "to a decode replica is {ttft} ms; {rate} prompts/s per replica",
        "- 单个提示词预填充 {p} ms（{b}受限）；按 {busy} 忙碌度运行，使含排队及 KV 传给解码副本的 TTFT 为 {ttft} ms；"
        "每副本 {rate} 提示词/秒",
    ),
    "bd.pool_decode": (
        "- decode only, batch {batch}: step {s} ms = max(memory {m}, compute {c}) + communication {x} + overhead {o} ms "
        "(no prefills in between) — **{b}-bound**; {rate} requests/s per replica",
        "- 仅解码，批大小 {batch}：一步 {s} ms = max(访存 {m}, 计算 {c}) + 通信 {x} + 开销 {o} ms（中间无预填充）"
        " — **{b}受限**；每副本 {rate} 请求/秒",
    ),
}
