"""Offer terms and the cost model: price, energy, power and limits of each bid, in the integers
the plan model uses.

Money is whole RMB (prices rounded to the yuan); the load scaling is in plan.model.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer import units
from optimizer.catalog.records import Card, PriceRange
from optimizer.scenario import Objective, Offer

HOURS_PER_YEAR = units.HOURS_PER_YEAR


@dataclass(frozen=True)
class OfferTerms:
    offer_id: str
    vendor: str
    card_id: str
    cards_per_server: int
    price_rmb_per_server: int
    energy_rmb_per_server: int      # TCO only: energy over the horizon at TDP x PUE
    power_w_per_server: float | None  # the offer's wall power, else cards x TDP x (1 + host overhead); None = unknown
    available_servers: int
    owned: bool
    price_kind: str

    @property
    def cost_rmb_per_server(self) -> int:
        return self.price_rmb_per_server + self.energy_rmb_per_server


def offer_terms(offer: Offer, card: Card, objective: Objective) -> OfferTerms:
    """One offer's terms: its price per server (0 when owned), the energy a TCO objective counts
    over the horizon (server power x PUE x duty cycle), server power, availability."""
    cps = offer_cards_per_server(offer, card)
    power = server_power_w(offer, card, cps, objective)
    energy = 0
    if objective.kind == "tco" and power is not None:
        assert objective.years is not None and objective.rmb_per_kwh is not None
        hours = HOURS_PER_YEAR * objective.years * objective.duty_cycle
        energy = round(units.w_to_kw(power) * objective.pue * hours * objective.rmb_per_kwh)
    return OfferTerms(
        offer_id=offer.id, vendor=offer.vendor, card_id=offer.card, cards_per_server=cps,
        price_rmb_per_server=0 if offer.owned else round(server_price_rmb(offer, card.price_rmb_per_card, cps)),
        energy_rmb_per_server=energy, power_w_per_server=power,
        available_servers=offer.available_servers, owned=offer.owned,
        price_kind="catalog" if offer.use_catalog_price else offer.price_kind,
    )


def server_power_w(offer: Offer, card: Card, cps: int, objective: Objective) -> float | None:
    """A server's power at full load: the offer's stated wall power, else its cards' TDP plus the
    objective's host overhead; None when neither is known."""
    if offer.server_power_w is not None:
        return offer.server_power_w
    if card.tdp_w is None:
        return None
    return card.tdp_w * cps * (1 + objective.host_overhead_pct / 100)


def server_price_rmb(offer: Offer, catalog_price: PriceRange | None, cps: int) -> float:
    if offer.price_rmb_per_server is not None:
        return offer.price_rmb_per_server
    if offer.price_rmb_per_card is not None:
        return offer.price_rmb_per_card * cps + offer.server_base_rmb
    if offer.use_catalog_price is not None:
        assert catalog_price is not None, "the scenario check rejects use_catalog_price for a card without a catalog price"
        per_card = {"low": catalog_price.low_rmb, "mid": catalog_price.mid_rmb, "high": catalog_price.high_rmb}
        return per_card[offer.use_catalog_price] * cps + offer.server_base_rmb
    return 0.0


def offer_cards_per_server(offer: Offer, card: Card) -> int:
    """The offer's server size, else the catalog server's: the one place this rule is written."""
    return offer.cards_per_server or card.cards_per_server
