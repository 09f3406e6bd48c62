"""The catalog as one frozen value, loaded once at the edge (the CLI, a test, a notebook) and handed
down: cards, models, precisions, engine profiles, fitted factors, ecosystem notes and daily load profiles.

Nothing below the resolver calls a loader; it reads this value. A user overlay (`procure --catalog
DIR`, overlay.set_overlay) is read by every loader; the value names it for the provenance line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from optimizer.catalog.efficiency import Efficiency, EngineProfile, load_efficiency, load_engines
from optimizer.catalog.overlay import overlay_dir
from optimizer.catalog.records import (
    Card,
    Ecosystem,
    LoadProfile,
    ModelSpec,
    Precision,
    catalog_dir,
    load_cards,
    load_ecosystems,
    load_load_profiles,
    load_model_file,
    load_models,
    load_precisions,
    model_path,
)
from optimizer.errors import InputError, one_of

FALLBACK_ENGINE = "vllm"  # a family no profile claims runs the most portable engine


@dataclass(frozen=True)
class Catalog:
    cards: Mapping[str, Card]
    models: Mapping[str, ModelSpec]
    precisions: Mapping[str, Precision]
    engines: Mapping[str, EngineProfile]
    efficiency: Efficiency
    ecosystems: Mapping[str, Ecosystem]
    load_profiles: Mapping[str, LoadProfile]   # named daily load shapes
    root: Path
    overlay: Path | None = None  # the user's folder on top of `root`, if any

    def card(self, card_id: str, where: str = "--card") -> Card:
        if card_id not in self.cards:
            raise InputError(where, card_id, "is not a card in the catalog", one_of(card_id, self.cards))
        return self.cards[card_id]

    def precision(self, name: str, where: str = "--precision") -> Precision:
        if name not in self.precisions:
            raise InputError(where, name, "is not a known precision", one_of(name, self.precisions))
        return self.precisions[name]

    def engine(self, engine_id: str, where: str = "--engine") -> EngineProfile:
        if engine_id not in self.engines:
            raise InputError(where, engine_id, "is not an engine profile", f"use one of: {', '.join(self.engines)}")
        return self.engines[engine_id]

    def default_engine(self, family: str) -> str:
        """The mature engine of a card family: the first profile whose `default_for` names it."""
        return next((eid for eid, p in self.engines.items() if family in p.default_for), FALLBACK_ENGINE)

    def model(self, model_ref: str, where: str = "--model", base_dir: Path | None = None) -> ModelSpec:
        """A catalog model id, or a model spec file (relative to `base_dir`, the scenario's folder)."""
        if model_ref in self.models:
            return self.models[model_ref]
        path = self.model_file(model_ref, base_dir)
        if path is not None:
            return load_model_file(path)
        if Path(model_ref).suffix in (".yaml", ".yml"):
            shown = f" ({base_dir / model_ref})" if base_dir is not None and not Path(model_ref).is_absolute() else ""
            raise InputError(
                where, model_ref, f"names a model spec file that does not exist{shown}",
                "check the path (a scenario's model path is relative to the scenario file)",
            )
        raise InputError(
            where, model_ref, "is neither a catalog model nor a model spec file",
            f"{one_of(model_ref, self.models)}, or a path to a .yaml made by `procure model import`",
        )

    def model_file(self, model_ref: str, base_dir: Path | None = None) -> Path | None:
        """The model spec file a reference names (None for a catalog model id or no file)."""
        return None if model_ref in self.models else model_path(model_ref, base_dir)

    @property
    def superseded_engines(self) -> frozenset[str]:
        return frozenset(name for name, p in self.engines.items() if p.superseded)


def load_catalog() -> Catalog:
    """The shipped catalog with the selected overlay on top (parsed once per process and overlay)."""
    return _catalog(overlay_dir())


@lru_cache(maxsize=4)
def _catalog(overlay: Path | None) -> Catalog:
    # The loaders read overlay_dir(), which is `overlay` here: this function is only called with it.
    return Catalog(
        cards=MappingProxyType(load_cards()), models=MappingProxyType(load_models()),
        precisions=MappingProxyType(load_precisions()), engines=MappingProxyType(load_engines()),
        efficiency=load_efficiency(), ecosystems=MappingProxyType(load_ecosystems()),
        load_profiles=MappingProxyType(load_load_profiles()), root=catalog_dir(), overlay=overlay,
    )
