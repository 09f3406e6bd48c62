"""Scale-up domains wider than a server, by hand: an expert-parallel group inside a CloudMatrix384
super-node (card ascend-910c-cm384: 8 NPUs per compute node, 384 in one UB switch domain) stays on
the Unified Bus, while the same group on the standalone Atlas 800I A3 (card ascend-910c: 8 NPUs on
HCCS, RoCE between servers) crosses the NIC. Also: every card added with it loads and predicts.

Every test sets its factors here (`_stated`), so it pins the physics, not the fitted catalog."""

from __future__ import annotations

import pytest
from perf_factories import stated_efficiency

from optimizer.catalog.bundle import load_catalog
from optimizer.catalog.records import load_cards, load_models
from optimizer.perf.comm import alltoall_s, link
from optimizer.perf.evaluate import evaluate
from optimizer.perf.replica import Parallelism, make_replica
from optimizer.perf.step import decode_step

CATALOG = load_catalog()
CARDS, MODELS = load_cards(), load_models()
NEW_CARDS = ("ascend-910c-cm384", "ascend-950pr", "rtx-pro-6000-server")

# DeepSeek-R1 (catalog/models): hidden 7,168, 58 MoE layers, 256 routed experts, top-8. At 32 tokens
# per card a dispatch sends 32 x 8 x 7,168 x 2 B = 3,670,016 B from each card.
SEND = 32 * 8 * 7168 * 2


def _r1_ep(card_id: str, ep: int):
    return make_replica(CATALOG, MODELS["deepseek-r1"], CARDS[card_id], "int8", Parallelism(tp=1, ep=ep), efficiency=stated_efficiency())


def test_cm384_card_is_an_eight_npu_node_in_a_384_npu_ub_switch_domain():
    """CloudMatrix384 (arXiv 2506.12708): 48 nodes x 8 Ascend 910C, UB over a two-tier switch Clos,
    392 GB/s per NPU each way (784 both ways). The silicon is card ascend-910c's; only the domain differs."""
    cm, a3 = CARDS["ascend-910c-cm384"], CARDS["ascend-910c"]
    s = cm.scaleup
    assert (s.topology, s.bidir_gbs_per_card, s.domain_cards, cm.cards_per_server) == ("switch", 784, 384, 8)
    assert s.unidir_gbs_per_pair == 392
    assert (a3.scaleup.topology, a3.scaleup.domain_cards, a3.cards_per_server) == ("mesh", 8, 8)
    assert (cm.dense_tflops, cm.mem_gb, cm.mem_bw_gbs, cm.nic_gbps_per_card, cm.dies_per_package) == (
        a3.dense_tflops, a3.mem_gb, a3.mem_bw_gbs, a3.nic_gbps_per_card, a3.dies_per_package)
    assert _r1_ep("ascend-910c-cm384", 32).scaleup_cards == 384
    assert _r1_ep("ascend-910c", 32).scaleup_cards == 8


@pytest.mark.parametrize(("ep", "nodes"), [(16, 2), (32, 4)])
def test_ep_all_to_all_inside_cm384_runs_on_ub_not_the_nic(ep: int, nodes: int):
    """EP16 (2 compute nodes, 32 dies as SGLang counts them) and EP32 (4 nodes) of DeepSeek-R1 on
    CloudMatrix384. The group is within the 384-NPU UB domain, so everything that leaves a card goes
    over UB at 784 / 2 = 392 GB/s x 0.7 = 274.4e9 B/s, plus 15 us:
    - EP16: 3,670,016 x 15/16 = 3,440,640 B / 274.4e9 = 12.539 us + 15 us = 27.539 us;
    - EP32: 3,670,016 x 31/32 = 3,555,328 B / 274.4e9 = 12.957 us + 15 us = 27.957 us.
    The NIC (400 Gb/s = 50e9 x 0.7 = 35e9 B/s) is not used: at its rate the same bytes would take
    3,440,640 / 35e9 + 10 us = 108.30 us (EP16)."""
    r = _r1_ep("ascend-910c-cm384", ep)
    by_hand = SEND * (ep - 1) / ep / (392e9 * 0.7) + 15e-6
    assert by_hand == pytest.approx({16: 27.539e-6, 32: 27.957e-6}[ep], rel=1e-4)
    assert alltoall_s(r, ep, SEND) == pytest.approx(by_hand, rel=1e-12)
    assert link(r, ep, collective="alltoall") == (pytest.approx(274.4e9), pytest.approx(15e-6))
    assert r.par.cards == 8 * nodes
    # The whole decode step's communication is the 58 dispatches and 58 combines (TP1: no all-reduce).
    step = decode_step(r, 32 * ep, 640)
    assert step.communication_s == pytest.approx(116 * by_hand, rel=1e-9)


@pytest.mark.parametrize(("ep", "local_us", "remote_us"), [(16, 20.851, 62.429), (32, 17.926, 88.643)])
def test_same_ep_group_on_standalone_atlas_800i_a3_crosses_roce(ep: int, local_us: float, remote_us: float):
    """The same groups on card ascend-910c (Atlas 800I A3: 8 NPUs per server on HCCS, a 7-link mesh of
    784 / 2 / 7 = 56 GB/s per pair each way, 392 GB/s to all 7 peers; 400 Gb/s RoCE per NPU between
    servers). Of each card's 3,670,016 B:
    - 7/ep go to the 7 server peers over HCCS at 392e9 x 0.7 = 274.4e9 B/s, plus 15 us: EP16 7/16 =
      1,605,632 B -> 5.851 + 15 = 20.851 us; EP32 7/32 = 802,816 B -> 2.926 + 15 = 17.926 us;
    - (ep - 8)/ep go to the other servers over RoCE at 35e9 B/s + 10 us: EP16 8/16 = 1,835,008 B ->
      52.429 + 10 = 62.429 us; EP32 24/32 = 2,752,512 B -> 78.643 + 10 = 88.643 us.
    The paths run at once, so RoCE sets the time: 2.27x (EP16) and 3.17x (EP32) the CloudMatrix384 figure."""
    r = _r1_ep("ascend-910c", ep)
    local = SEND * 7 / ep / (392e9 * 0.7) + 15e-6
    remote = SEND * (ep - 8) / ep / (400 / 8 * 1e9 * 0.7) + 10e-6
    assert remote == pytest.approx(remote_us * 1e-6, rel=1e-4)
    assert local == pytest.approx(local_us * 1e-6, rel=1e-4)
    assert alltoall_s(r, ep, SEND) == pytest.approx(remote, rel=1e-12)
    assert link(r, ep, collective="alltoall")[0] == pytest.approx(35e9)  # the NIC
    cm = alltoall_s(_r1_ep("ascend-910c-cm384", ep), ep, SEND)
    assert alltoall_s(r, ep, SEND) / cm == pytest.approx({16: 2.267, 32: 3.171}[ep], rel=1e-3)


def test_cm384_keeps_the_node_as_server_for_counting_and_an_offer_of_other_size_loses_the_domain():
    """servers_spanned counts 8-NPU compute nodes (EP32 = 4 nodes); an offer that sells the part in
    servers of another size is not the super-node, so its EP group crosses the NIC again."""
    r1, cm = MODELS["deepseek-r1"], CARDS["ascend-910c-cm384"]
    perf = evaluate(CATALOG, r1, cm, "int8", Parallelism(tp=1, ep=32), 1024, 128, 1024, efficiency=stated_efficiency())
    assert perf.cards == 32 and perf.servers_spanned == 4
    split = make_replica(CATALOG, r1, cm, "int8", Parallelism(tp=1, ep=32), efficiency=stated_efficiency(), cards_per_server=16)
    assert split.scaleup_cards == 16
    assert alltoall_s(split, 32, SEND) > alltoall_s(_r1_ep("ascend-910c-cm384", 32), 32, SEND)


@pytest.mark.parametrize("card_id", NEW_CARDS)
def test_new_card_loads_with_sources_and_export_note_in_both_languages(card_id: str):
    card = CARDS[card_id]
    assert card.family in {"huawei-ascend", "nvidia-blackwell"}
    assert {"specs", "interconnect", "nic"} <= set(card.provenance)
    assert card.tdp_w is None or "tdp" in card.provenance
    assert card.export_control.strip() and card.export_control_zh and card.export_control_zh.strip()


@pytest.mark.parametrize(("card_id", "precision"), [
    (c, p) for c in NEW_CARDS for p in ("bf16", "fp8" if "fp8" in CARDS[c].dense_tflops else "int8")
])
def test_new_card_predicts_qwen3_32b_on_one_card(card_id: str, precision: str):
    """Qwen3-32B at TP1 fits every new card (>= 96 GB) in BF16 and in its 8-bit format: FP8 where the
    card has FP8 units, W8A8 INT8 on the 910C, which has none."""
    card = CARDS[card_id]
    perf = evaluate(CATALOG, MODELS["qwen3-32b"], card, precision, Parallelism(tp=1), 1, 1024, 256)
    assert perf.memory.fits
    assert 0 < perf.decode.total_s < 1 and 0 < perf.prefill.total_s < 10
