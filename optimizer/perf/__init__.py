"""Performance model of one replica: memory per card, prefill, decode step, serving throughput.

A replica is one copy of the model on `cards = max(tp, ep) * pp` cards:
- `tp` splits attention heads, dense FFNs and shared experts (Megatron-style, two all-reduces per
  layer);
- `pp` splits the layers into stages; the running batch is cut into up to `pp` micro-batches;
- `ep` (MoE only) spreads whole routed experts over `ep` cards of a stage. When `ep > tp`, attention
  runs data-parallel: `ep / tp` groups of `tp` cards each serve their share of the sequences (so
  each keeps only its own KV cache), and tokens reach their experts by a dispatch and a combine
  all-to-all per MoE layer. When `ep <= tp` every card already holds every token and the layer's
  second all-reduce combines the experts: no all-to-all (comm.stage_comm_s).

A step is timed operator by operator, each on its own roofline (DESIGN.md section 3):
dense GEMMs (attention projections, dense FFNs, shared experts, LM head), grouped expert GEMMs
(the distinct experts a batch touches; with few tokens per expert their weights stream at an
achieved bandwidth `mbu x expert_bw`, with many they run at the GEMM MFU), attention (KV read:
MLA's latent or GQA heads; score FLOPs), then TP all-reduces and EP all-to-alls, and fixed costs
(per step, per MoE layer). An all-to-all wider than one server sends the share of its bytes bound
for the card's own server over the scale-up link and the rest over the card's NIC, both at once
(EP32 on four 8-card servers: 7/32 over HCCS, 3/4 over RoCE). The factors come from
`efficiency.Efficiency.resolve(family, engine)`; the per-step fixed cost is mostly the engine's
(its scheduler and graph mode), the card family's effect on it held small.
Speculative decoding verifies `draft_tokens` per sequence per step and emits `accept_len`; each
draft pass is a forward pass of its own and pays the per-step fixed cost again.

Everything is decimal SI (see units.py) and every time is in seconds unless the name says `_ms`.
"""

