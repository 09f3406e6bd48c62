"""Page one's table of bids with no price yet: the servers each needs on its own, its plan, and the
most a server may cost for it to cost no more than the recommended plan (analysis.unpriced)."""

from __future__ import annotations

import dataclasses

from optimizer.plan.result import SolveResult
from optimizer.report.format import DASH, money, table
from optimizer.report.i18n import tr
from optimizer.report.reasons import localize_reason
from optimizer.report.shapes import plan_shape


def unpriced_table(result: SolveResult, lang: str = "en") -> list[str]:
    """The heading, a sentence and one row per unpriced bid ([] when there is none)."""
    if not result.unpriced_bids:
        return []
    head = [tr(lang, f"unpriced.col.{k}") for k in ("bid", "vendor", "card", "plan", "servers", "central", "break_even")]
    rows = []
    for b in result.unpriced_bids:
        if b.plan is None:
            rows.append([b.offer_id, b.vendor, b.card_id, tr(lang, "bids.cannot", reason=localize_reason(b.reason or "", lang)),
                         DASH, DASH, DASH])
            continue
        be = DASH if b.break_even_rmb_per_server is None else (
            money(b.break_even_rmb_per_server, lang) if b.break_even_rmb_per_server > 0 else tr(lang, "unpriced.never"))
        own = dataclasses.replace(b.plan, groups=tuple(g for g in b.plan.groups if g.design.offer_id == b.offer_id))
        if not own.groups:  # hardware already owned serves the load: nothing to buy from this bid
            rows.append([b.offer_id, b.vendor, b.card_id, tr(lang, "unpriced.owned_suffices"), "0", DASH, DASH])
            continue
        servers = f"{b.servers} / {own.cards}"
        if b.servers > b.available_servers:
            servers += " " + tr(lang, "unpriced.beyond", n=b.available_servers)
        rows.append([b.offer_id, b.vendor, b.card_id, plan_shape(own), servers,
                     DASH if b.central_servers is None else str(b.central_servers), be])
    return [f"### {tr(lang, 'unpriced.h')}", "", tr(lang, "unpriced.intro"), "", *table(head, "llllrrr", rows), ""]
