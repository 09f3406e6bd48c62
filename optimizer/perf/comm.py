"""Communication of one replica: the link a group of cards achieves (scale-up inside a server of
the offer's size, the NIC across servers), all-reduce, all-to-all, point-to-point, and the
pipeline-parallel hand-off between stages."""

from __future__ import annotations

from optimizer import units
from optimizer.catalog.efficiency import QuantizedAllreduce
from optimizer.perf.replica import Replica, Stage


def link(r: Replica, group: int, *, collective: str) -> tuple[float, float]:
    """(bytes/s per card, latency s) that a group of `group` cards achieves for a collective.

    Inside a server: on a switch every card gets its full unidirectional bandwidth; on a mesh a
    group of g cards can use only its g-1 links to one another; PCIe cards go through the host.
    Beyond the scale-up domain (the offer's server, or a wider NVLink domain) the NIC carries it.
    """
    if group > r.scaleup_cards:
        return nic_link(r)
    return scaleup_link(r, group, collective=collective)


def nic_link(r: Replica) -> tuple[float, float]:
    """(bytes/s per card, latency s) of the card's own NIC port (scale-out: RoCE, InfiniBand)."""
    return units.gbps_to_bytes_per_s(r.card.nic_gbps_per_card) * r.factors.link_efficiency, units.us_to_s(r.defaults.nic_latency_us)


def scaleup_link(r: Replica, group: int, *, collective: str) -> tuple[float, float]:
    """(bytes/s per card, latency s) among `group` cards of one scale-up domain (see link)."""
    f, card = r.factors, r.card
    s = card.scaleup
    if s.topology == "mesh":
        gbs = s.unidir_gbs_per_pair * min(group - 1, s.mesh_links or 1)
    elif s.topology == "pcie":
        gbs = min(s.unidir_gbs_per_card, card.pcie_bidir_gbs / 2)
    else:
        gbs = s.unidir_gbs_per_card
    latency = units.us_to_s(f.collective_latency_us)
    if s.topology == "pcie" or collective == "ring":
        latency *= group - 1  # a ring through the host pays one hop per peer
    return units.gbs_to_bytes_per_s(gbs) * f.link_efficiency, latency


def quantized_allreduce(r: Replica, group: int) -> QuantizedAllreduce | None:
    """The measured quantized all-reduce (QuickReduce INT4 on AMD) a group of `group` of the replica's
    cards runs: when the engine or launch quantizes (`allreduce_codec`), the card family has a
    measurement of that codec, and the group is inside one scale-up domain; None: the plain one."""
    table = r.factors.quantized_allreduce
    if table is None or table.codec != r.allreduce_codec or not 1 < group <= r.scaleup_cards:
        return None
    return table


def allreduce_s(r: Replica, group: int, message_bytes: float) -> float:
    """Ring-equivalent all-reduce: 2 (g - 1) / g of the message over the link, plus its latency; a
    quantized one takes its measured share of that time for messages at or above its switch-over."""
    if group <= 1:
        return 0.0
    bw, lat = link(r, group, collective="allreduce")
    plain = 2 * (group - 1) / group * message_bytes / bw + lat
    quantized = quantized_allreduce(r, group)
    return plain if quantized is None else plain * quantized.time_ratio(group, message_bytes)


def alltoall_s(r: Replica, group: int, send_bytes: float) -> float:
    """One all-to-all in which each of `group` cards sends `send_bytes` spread evenly over the
    group (1/group of it to each card, its own share staying put).

    Within one scale-up domain the (group - 1)/group that leaves goes over the scale-up link. A
    group wider than the domain is `group / domain` servers: of a card's bytes, (domain - 1)/group
    go to peers in its own server over the scale-up link and (group - domain)/group to the other
    servers over its NIC (EP32 on 4 x 8-card servers: 7/32 over HCCS, 24/32 = 3/4 over RoCE). The
    two paths are separate hardware and run at once, so the slower one sets the time, plus its
    latency."""
    if group <= 1:
        return 0.0
    local = min(group, r.scaleup_cards)
    bw, lat = scaleup_link(r, local, collective="alltoall") if local > 1 else (1.0, 0.0)
    local_s = send_bytes * (local - 1) / group / bw + lat if local > 1 else 0.0
    if group <= local:
        return local_s
    nic_bw, nic_lat = nic_link(r)
    remote_s = send_bytes * (group - local) / group / nic_bw + nic_lat
    return max(local_s, remote_s)


def p2p_s(r: Replica, crosses_server: bool, message_bytes: float) -> float:
    if crosses_server:
        bw = units.gbps_to_bytes_per_s(r.card.nic_gbps_per_card) * r.factors.link_efficiency
        return message_bytes / bw + units.us_to_s(r.defaults.nic_latency_us)
    bw = units.gbs_to_bytes_per_s(r.card.scaleup.unidir_gbs_per_pair) * r.factors.link_efficiency
    return message_bytes / bw + units.us_to_s(r.factors.collective_latency_us)


def stage_comm_s(r: Replica, st: Stage, tokens_per_group: float, tokens_per_stage: float) -> float:
    """TP all-reduces (two per layer) and EP all-to-alls (dispatch and combine per MoE layer).

    With data-parallel attention (ep > tp) each attention group holds its own tokens, so they reach
    their experts all-to-all. With ep <= tp every card of the group already holds every token after
    the attention all-reduce: on vLLM and ATOM each card computes its own experts' share and the
    layer's second all-reduce sums them, as without EP (FusedMoEParallelConfig.use_all2all_kernels is
    dp_size > 1 and use_ep in both). An engine whose profile says `ep_token_exchange: always`
    (vLLM-Ascend's MC2 / all-to-all, and OmniInfer on it) exchanges the tokens all the same. SGLang
    exchanges them under tensor-parallel attention only when launched with DeepEP, which its launch
    scripts here add only with data-parallel attention."""
    model, par = r.model, r.par
    hidden_bytes = model.hidden_size * r.defaults.activation_bytes
    comm = 2 * st.layers * allreduce_s(r, par.tp, tokens_per_group * hidden_bytes)
    exchanges = par.attention_dp > 1 or r.engine.ep_token_exchange == "always"
    if par.ep > 1 and st.moe_layers and exchanges:
        assert model.moe is not None
        send = tokens_per_stage / par.stage_width * model.moe.experts_per_token * hidden_bytes
        comm += 2 * st.moe_layers * alltoall_s(r, par.stage_width, send)
    return comm


def pp_handoff_s(r: Replica, tokens: float) -> float:
    """Activations handed from stage to stage; a boundary goes over the NIC when the replica is
    larger than the scale-up domain (one of the offer's servers, or a wider NVLink domain)."""
    if r.par.pp == 1:
        return 0.0
    message = tokens * r.model.hidden_size * r.defaults.activation_bytes
    crosses = r.par.cards > r.scaleup_cards
    return (r.par.pp - 1) * p2p_s(r, crosses, message)
