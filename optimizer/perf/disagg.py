"""Prefill/decode disaggregation: pools sized separately, and the KV hand-over between them."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer import units
from optimizer.arch import kv_bytes_per_token
from optimizer.perf.evaluate import ReplicaPerf
from optimizer.perf.replica import Replica


@dataclass(frozen=True)
class PoolEstimate:
    """A replica serving one phase only. Prefill pool: TTFT (its prefill, the M/D/1 wait at the
    chosen utilisation, and the KV hand-over to a decode replica). Decode pool: TPOT (a decode step
    with no prefill interference)."""

    requests_per_s: float
    ttft_s: float
    tpot_s: float
    utilization: float
    kv_transfer_s: float


MAX_PREFILL_UTILIZATION = 0.95


def kv_transfer_s(r: Replica, input_len: int) -> float:
    """Moving one prompt's KV cache (whole model) from a prefill replica to a decode replica over
    the prefill replica's NICs (different servers, so never the scale-up link)."""
    nbytes = max(1, input_len) * kv_bytes_per_token(r.model, r.kv_bytes)
    bandwidth = r.par.cards * units.gbps_to_bytes_per_s(r.card.nic_gbps_per_card) * r.factors.link_efficiency
    return nbytes / bandwidth + units.us_to_s(r.defaults.nic_latency_us)


def prefill_pool(
    perf: ReplicaPerf, transfer_s: float, ttft_budget_s: float | None, wait_factor: float = 1.0
) -> PoolEstimate | None:
    """The highest utilisation rho at which TTFT = prefill + wait_factor x rho / (2 (1 - rho)) x
    occupancy (the M/D/1 wait, scaled for a percentile SLA) + KV transfer + the engine's front end
    stays within the budget; None when even an idle replica misses it. Capacity: rho / occupancy
    requests per second."""
    occupancy = perf.prefill_occupancy_s
    front_end = units.ms_to_s(perf.factors.ttft_overhead_ms) if perf.factors else 0.0
    fixed = perf.prefill_s + transfer_s + front_end
    if ttft_budget_s is None:
        rho = MAX_PREFILL_UTILIZATION
    else:
        slack = ttft_budget_s - fixed
        if slack <= 0:
            return None
        scaled = occupancy * wait_factor
        rho = min(MAX_PREFILL_UTILIZATION, 2 * slack / (scaled + 2 * slack))
    ttft = fixed + wait_factor * rho / (2 * (1 - rho)) * occupancy
    return PoolEstimate(rho / occupancy, ttft, 0.0, rho, transfer_s)


def decode_pool(perf: ReplicaPerf) -> PoolEstimate:
    """A decode-only replica at `perf.batch`: every step serves the whole batch, no prefills in
    between, so TPOT is the step over the tokens it emits and a request leaves after
    (output_len - 1) / accept_len steps."""
    step = perf.decode.total_s
    rate = perf.batch * perf.accept_len / (max(1, perf.output_len - 1) * step)
    return PoolEstimate(rate, 0.0, step / perf.accept_len, 1.0, 0.0)
