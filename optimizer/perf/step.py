"""Steps of one replica, operator by operator on its own roofline: a decode step of the running
batch (with the speculative draft passes) and the prefill of one prompt."""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer import units
from optimizer.arch import attention_flops_per_token
from optimizer.perf.comm import pp_handoff_s, stage_comm_s
from optimizer.perf.memory import decode_kv_read_bytes_per_card
from optimizer.perf.replica import Replica, Stage


@dataclass(frozen=True)
class StepBreakdown:
    """One decode step (or one prefill) of the replica, split into its parts. `busy_s` is the sum
    over operators of max(memory, compute) of each; `memory_s` and `compute_s` are the sums of
    each side alone (they name the bottleneck)."""

    memory_s: float
    compute_s: float
    communication_s: float
    overhead_s: float
    busy_s: float

    @property
    def total_s(self) -> float:
        return self.busy_s + self.communication_s + self.overhead_s

    @property
    def bottleneck(self) -> str:
        parts = {"memory": self.memory_s, "compute": self.compute_s, "communication": self.communication_s}
        return max(parts, key=lambda k: parts[k])


def distinct_experts(num_experts: int, top_k: int, tokens: float) -> float:
    """Expected distinct experts a batch of `tokens` touches in one MoE layer under uniform
    routing: E x (1 - (1 - k/E)^b)."""
    if tokens <= 0:
        return 0.0
    return num_experts * (1.0 - (1.0 - top_k / num_experts) ** tokens)


@dataclass(frozen=True)
class _Op:
    memory_s: float
    compute_s: float

    @property
    def time_s(self) -> float:
        return max(self.memory_s, self.compute_s)


def _decode_ops(r: Replica, st: Stage, seqs_stage: float, context_avg: float, tokens_per_seq: int) -> list[_Op]:
    """Operators of one stage for one decode pass of `seqs_stage` sequences, each with
    `tokens_per_seq` tokens (1, or the verified draft under speculative decoding)."""
    model, par, f = r.model, r.par, r.factors
    p = r.params
    bpp = r.precision.bytes_per_param
    bw, peak = r.mem_bw, r.peak_flops
    seqs_group = seqs_stage / par.attention_dp
    tokens_group, tokens_stage = seqs_group * tokens_per_seq, seqs_stage * tokens_per_seq

    dense_params = st.nonrouted_params + p.lm_head * (st.head_params > 0)
    dense = _Op(dense_params / par.tp * bpp / (bw * f.mbu), 2 * dense_params * tokens_group / par.tp / (peak * f.mfu_decode))
    ops = [dense]
    if st.moe_layers:
        touched = distinct_experts(p.routed_experts, p.experts_per_token, tokens_stage)
        expert_bytes = st.moe_layers * touched * p.expert * par.routed_share(p.routed_experts) * bpp
        expert_flops = 2 * st.moe_layers * p.experts_per_token * p.expert * tokens_stage / par.stage_width
        ops.append(_Op(expert_bytes / (bw * f.mbu * f.expert_bw), expert_flops / (peak * f.mfu_decode * f.expert_mfu)))
    share = st.layers / model.num_layers
    kv = seqs_group * decode_kv_read_bytes_per_card(model, context_avg, r.kv_bytes, par)
    attn_flops = attention_flops_per_token(model, context_avg, prefill=False) * share * tokens_group / par.tp
    ops.append(_Op(kv / (bw * f.mbu), attn_flops / (r.attention_flops_peak * f.mfu_attention)))
    return ops


def _fixed_step_s(r: Replica, st: Stage) -> float:
    return units.ms_to_s(r.factors.step_overhead_ms) + st.moe_layers * units.us_to_s(r.factors.moe_layer_us)


def decode_step(r: Replica, batch: int, context_avg: float) -> StepBreakdown:
    """One decode step of the whole running batch: every sequence gets `accept_len` tokens on
    average (1 without speculation).

    Each pipeline stage works on micro-batches of `batch / pp` sequences; a token crosses all
    stages, so the step is pp x the stage time (PP adds capacity, not speed). With speculative
    decoding the step verifies `draft_tokens` tokens per sequence (weights read once, KV read once,
    compute and messages per token) after `draft_tokens - 1` draft passes, each costing about one
    layer of the model plus the LM head, and each a forward pass of its own: it pays the engine's
    per-pass fixed cost again (graph launch, sampling, host sync: the step overhead, plus one MoE
    layer's set-up when the draft module is an MoE layer, as DeepSeek's MTP module is)."""
    par = r.par
    st = r.stage
    micro = max(1.0, batch / par.pp)
    verify = r.spec.verify_tokens
    ops = _decode_ops(r, st, micro, context_avg, verify)
    memory_s = sum(o.memory_s for o in ops)
    compute_s = sum(o.compute_s for o in ops)
    busy_s = sum(o.time_s for o in ops)
    comm_s = stage_comm_s(r, st, micro / par.attention_dp * verify, micro * verify)
    draft_fixed = 0.0
    if verify > 1:
        draft = _draft_pass_s(r, st, micro, context_avg) * (verify - 1)
        busy_s += draft
        memory_s += draft
        moe_draft = units.us_to_s(r.factors.moe_layer_us) if st.moe_layers else 0.0
        draft_fixed = (verify - 1) * (units.ms_to_s(r.factors.step_overhead_ms) + moe_draft)
    return StepBreakdown(
        memory_s=memory_s * par.pp,
        compute_s=compute_s * par.pp,
        communication_s=comm_s * par.pp + pp_handoff_s(r, micro * verify),
        overhead_s=_fixed_step_s(r, st) * par.pp + draft_fixed,
        busy_s=busy_s * par.pp,
    )


def _draft_pass_s(r: Replica, st: Stage, seqs_stage: float, context_avg: float) -> float:
    """One autoregressive draft pass (MTP module or EAGLE head): about one decoder layer of the
    model plus the LM head for the running sequences."""
    p = r.params
    ops = _decode_ops(r, st, seqs_stage, context_avg, 1)
    layer = sum(o.time_s for o in ops) / max(1, st.layers)
    head = p.lm_head / r.par.tp * r.precision.bytes_per_param / (r.mem_bw * r.factors.mbu)
    return layer + head


def prefill_step(r: Replica, input_len: int) -> StepBreakdown:
    """Prefill of one prompt alone on an idle replica (TTFT without queueing).

    Compute: 2 x active params x L plus causal attention (quadratic in L) at the prefill MFU.
    Memory: the weights are read once per chunk of the engine's prefill budget. The prompt crosses
    the stages in turn. It does not depend on the batch: kept on the replica per prompt length."""
    hit: StepBreakdown | None = r.memo.get(("prefill", input_len))
    if hit is not None:
        return hit
    model, par, f = r.model, r.par, r.factors
    p = r.params
    st = r.stage
    tokens = float(max(1, input_len))
    chunk = r.prefill_budget
    chunks = math.ceil(tokens / chunk)
    share = st.layers / model.num_layers
    bpp = r.precision.bytes_per_param
    peak = r.peak_flops * f.mfu_prefill

    # One prompt lives in one attention group; its routed work spreads over the stage width.
    dense_flops = 2 * (st.nonrouted_params + p.lm_head * (st.head_params > 0) / tokens) * tokens / par.tp
    dense = _Op(chunks * st.nonrouted_params / par.tp * bpp / (r.mem_bw * f.mbu), dense_flops / peak)
    ops = [dense]
    if st.moe_layers:
        touched = distinct_experts(p.routed_experts, p.experts_per_token, min(tokens, chunk))
        expert_bytes = chunks * st.moe_layers * touched * p.expert * par.routed_share(p.routed_experts) * bpp
        expert_flops = 2 * st.moe_layers * p.experts_per_token * p.expert * tokens / par.stage_width
        ops.append(_Op(expert_bytes / (r.mem_bw * f.mbu * f.expert_bw), expert_flops / (peak * f.expert_mfu)))
    attn_flops = attention_flops_per_token(model, tokens / 2, prefill=True) * share * tokens / par.tp
    ops.append(_Op(0.0, attn_flops / (r.attention_flops_peak * f.mfu_prefill)))

    comm_s = stage_comm_s(r, st, tokens, tokens * par.attention_dp)
    step = StepBreakdown(
        memory_s=sum(o.memory_s for o in ops) * par.pp,
        compute_s=sum(o.compute_s for o in ops) * par.pp,
        communication_s=comm_s * par.pp + pp_handoff_s(r, tokens),
        overhead_s=chunks * _fixed_step_s(r, st),
        busy_s=sum(o.time_s for o in ops) * par.pp,
    )
    r.memo[("prefill", input_len)] = step
    return step
