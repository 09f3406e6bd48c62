"""The starter scenario `procure init` writes: every section a first scenario needs, commented."""

from __future__ import annotations

SCHEMA_NAME = "scenario.schema.json"

STARTER = """\
# yaml-language-server: $schema=./{schema}
# A starter scenario written by `procure init`: edit it, then run `procure solve {name}`.
# Units are in the keys (_ms, _rmb, _kw). Every id below is listed by `procure cards list`,
# `procure models list` and `procure engines list`; the full schema is {schema} (for editors).
name: {stem}
description: Llama-3.1-70B chat for 100 concurrent users, TTFT <= 2 s and TPOT <= 50 ms (means)

# The model served: a catalog id (procure models list) or a path to a spec made by
# `procure model import config.json --id ...`, relative to this file.
model: llama-3.1-70b
# Weight formats allowed, preferred first (a card without FP8 units skips fp8).
precisions: [fp8, bf16]
kv_precision: bf16

workload:
  input_tokens: 2000          # mean prompt length
  output_tokens: 500          # mean answer length
  load:                       # exactly one of concurrent_users, requests_per_s, output_tokens_per_s
    concurrent_users: 100

sla:
  ttft_ms: 2000               # time to first token
  tpot_ms: 50                 # time per output token (50 ms = 20 tokens/s)
  statistic: mean             # mean, p90 or p99
  # confidence: 0.8           # designs must meet the SLAs at this quantile of the model's error
  # headroom_pct: 20          # plan capacity at least the load x 1.2

# The bids: one entry per vendor offer. Give exactly one price: price_rmb_per_server,
# price_rmb_per_card (+ server_base_rmb for the chassis), or use_catalog_price: low|mid|high.
offers:
  - id: h200-8x
    vendor: NVIDIA partner
    card: h200
    price_rmb_per_server: 1500000
    price_kind: quote           # quote, range, estimate or catalog
    price_note: "replace with your quote and its date"
    available_servers: 8        # what the vendor can ship in time
  - id: atlas-910b2-8x
    vendor: Huawei
    card: ascend-910b2
    price_rmb_per_card: 120000
    server_base_rmb: 200000
    price_kind: estimate
    price_note: "replace with your quote and its date"
    available_servers: 16

constraints:
  tp_across_servers: false      # a tensor-parallel group stays inside one server
  # budget_rmb: 10000000
  # max_servers: 10
  # power_cap_kw: 60
  # single_vendor: true
  # n_plus_one: true            # the load still holds with any one server down
  # mix_min_saving_pct: 5       # recommend a vendor mix only when it saves more than this
  # one_shape_per_offer: true  # one replica design per offer (one launch configuration per server type)

objective:
  kind: capex                   # capex, tco (needs years and rmb_per_kwh) or max_load
  # years: 4
  # rmb_per_kwh: 0.8

# analysis:                     # reports `procure solve` also writes and links
#   compare: true               # one row per bid with break-even prices
#   budget_sweep_rmb: "1000000:20000000:20"

sources:
  - "where your prices and load figures come from"
"""


def starter_text(file_name: str, stem: str) -> str:
    return STARTER.format(schema=SCHEMA_NAME, name=file_name, stem=stem)
