"""Domain records: cards, models, precisions and efficiency factors, loaded from catalog/ YAML.

Every record is a strict, frozen pydantic model: an unknown key, a missing key, a non-positive or
non-finite number fails at load with the file and the field named. Units are in the field names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer.errors import InputError

PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFinite = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]

PrecisionName = Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4"]
PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
DATE_PATTERN = re.compile(r"^\d{4}(-\d{2}){0,2}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(Strict):
    """Where a number comes from and the date the source gives (not the date of reading)."""

    source: str = Field(min_length=3)
    date: str

    @field_validator("date", mode="before")
    @classmethod
    def _date_format(cls, value: object) -> str:
        # YAML reads an unquoted 2026-01-10 as a date; keep it as the ISO string.
        value = value.isoformat() if hasattr(value, "isoformat") else value
        if not isinstance(value, str):
            raise ValueError("date must be a string")
        if not DATE_PATTERN.match(value):
            raise ValueError("date must be YYYY, YYYY-MM or YYYY-MM-DD")
        return value


class PriceRange(Strict):
    """A price per card in RMB. `kind` says how far to trust it: a range spanning sources, one
    dealer quote, or an estimate derived from other figures."""

    low_rmb: PositiveFinite
    high_rmb: PositiveFinite
    kind: Literal["range", "quote", "estimate"]
    provenance: Provenance

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.low_rmb > self.high_rmb:
            raise ValueError("low_rmb must not exceed high_rmb")
        return self

    @property
    def mid_rmb(self) -> float:
        return (self.low_rmb + self.high_rmb) / 2


class ScaleUp(Strict):
    """The link between cards of one server.

    `bidir_gbs_per_card` is the aggregate of both directions over all of a card's links (NVLink 4:
    900). On a `switch` any pair gets the whole per-card bandwidth; on a `mesh` (HCCS, Infinity
    Fabric) each of `mesh_links` point-to-point links carries an equal share; `pcie` cards
    exchange data through PCIe and the host.
    """

    topology: Literal["switch", "mesh", "pcie"]
    name: str
    bidir_gbs_per_card: PositiveFinite
    mesh_links: PositiveInt | None = None
    domain_cards: PositiveInt

    @model_validator(mode="after")
    def _mesh_has_links(self) -> ScaleUp:
        if self.topology == "mesh" and self.mesh_links is None:
            raise ValueError("a mesh scale-up needs mesh_links (point-to-point links per card)")
        return self

    @property
    def unidir_gbs_per_card(self) -> float:
        return self.bidir_gbs_per_card / 2

    @property
    def unidir_gbs_per_pair(self) -> float:
        """What one pair of cards gets in one direction."""
        if self.topology == "mesh":
            assert self.mesh_links is not None
            return self.unidir_gbs_per_card / self.mesh_links
        return self.unidir_gbs_per_card


class Card(Strict):
    id: str
    name: str
    vendor: str
    family: str = Field(description="efficiency family key in catalog/efficiency.yaml")
    form_factor: Literal["sxm", "oam", "pcie", "module"]
    mem_gb: PositiveFinite
    mem_bw_gbs: PositiveFinite
    dense_tflops: dict[PrecisionName, PositiveFinite] = Field(
        description="dense (non-sparse) peak per natively computed precision; absent = unsupported"
    )
    scaleup: ScaleUp
    pcie_bidir_gbs: PositiveFinite
    nic_gbps_per_card: PositiveFinite
    tdp_w: PositiveFinite | None = Field(description="null = unknown")
    cards_per_server: PositiveInt
    dies_per_package: PositiveInt = Field(
        1, description="compute dies in one package (Ascend 910C: 2); benchmarks may count dies, not packages"
    )
    export_control: str
    notes: str
    price_rmb_per_card: PriceRange | None = Field(description="null = no public price found")
    provenance: dict[Literal["specs", "interconnect", "nic", "tdp", "form"], Provenance]

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("ids are lower-case letters, digits, '.' and '-'")
        return value

    @model_validator(mode="after")
    def _every_number_has_a_source(self) -> Card:
        needed = {"specs", "interconnect", "nic"}
        if self.tdp_w is not None:
            needed.add("tdp")
        missing = needed - set(self.provenance)
        if missing:
            raise ValueError(f"provenance lacks {sorted(missing)}")
        return self


class Attention(Strict):
    kind: Literal["gqa", "mla"]
    num_heads: PositiveInt
    num_kv_heads: PositiveInt
    head_dim: PositiveInt
    qkv_bias: bool = False
    qk_norm: bool = False
    kv_layers: PositiveInt | None = Field(
        None,
        description="layers that keep a per-token KV cache (full attention); the others are linear-attention or "
        "sliding-window layers whose state does not grow with the context; null = every layer",
    )
    # MLA only (DeepSeek-V2/V3/R1): low-rank query and a compressed key/value latent.
    q_lora_rank: PositiveInt | None = None
    kv_lora_rank: PositiveInt | None = None
    qk_rope_head_dim: PositiveInt | None = None
    qk_nope_head_dim: PositiveInt | None = None
    v_head_dim: PositiveInt | None = None

    @model_validator(mode="after")
    def _mla_fields(self) -> Attention:
        mla = (self.kv_lora_rank, self.qk_rope_head_dim, self.qk_nope_head_dim, self.v_head_dim)
        if self.kind == "mla" and any(v is None for v in mla):
            raise ValueError(
                "MLA needs kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim"
            )
        if self.kind == "gqa" and self.num_heads % self.num_kv_heads:
            raise ValueError("num_heads must be a multiple of num_kv_heads")
        return self


class Moe(Strict):
    num_routed_experts: PositiveInt
    experts_per_token: PositiveInt
    num_shared_experts: int = Field(ge=0)
    moe_intermediate_size: PositiveInt
    shared_expert_intermediate_size: PositiveInt | None = None
    dense_layers: int = Field(ge=0, description="leading layers with a dense FFN instead of MoE")

    @model_validator(mode="after")
    def _top_k(self) -> Moe:
        if self.experts_per_token > self.num_routed_experts:
            raise ValueError("experts_per_token exceeds num_routed_experts")
        return self


class ModelSpec(Strict):
    id: str
    name: str
    hidden_size: PositiveInt
    num_layers: PositiveInt
    intermediate_size: PositiveInt = Field(description="dense FFN width (dense layers)")
    vocab_size: PositiveInt
    tie_embeddings: bool
    max_context: PositiveInt
    attention: Attention
    moe: Moe | None = None
    checkpoint_precision: PrecisionName
    published_total_params_b: PositiveFinite | None = Field(
        None, description="total from the model card, to check the derived count; null = not published"
    )
    published_active_params_b: PositiveFinite | None = None
    provenance: Provenance

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("ids are lower-case letters, digits, '.' and '-'")
        return value


class Precision(Strict):
    """How weights are stored and which compute units run the matmuls.

    `compute` lists acceptable compute precisions in order of preference: a W8A8 format needs
    int8 units; a weight-only format (W4A16) dequantises to 16-bit and runs on bf16 or fp16 units.
    """

    bytes_per_param: PositiveFinite
    compute: tuple[PrecisionName, ...]
    description: str


class Ecosystem(Strict):
    """Software-ecosystem note for a card family (catalog/ecosystems.yaml)."""

    note: str
    source: str


# --------------------------------------------------------------------------------------------
# Loading


def catalog_dir() -> Path:
    """The catalog shipped with the package (installed as the `catalog` package data)."""
    return Path(str(resources.files("catalog")))


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(str(path), "(file)", f"is not valid YAML ({exc})", "fix the syntax") from exc
    except OSError as exc:
        raise InputError(str(path), "(file)", f"cannot be read ({exc.strerror})", "check the path") from exc


def parse_record(model_cls: type[BaseModel], data: object, where: str) -> BaseModel:
    """Validate `data` as `model_cls`, turning the first pydantic error into an InputError."""
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise InputError(where, field, err["msg"], "correct the value (units are in the key name)") from exc


def _load_dir(sub: str, model_cls: type[BaseModel]) -> dict[str, BaseModel]:
    records: dict[str, BaseModel] = {}
    for path in sorted((catalog_dir() / sub).glob("*.yaml")):
        record = parse_record(model_cls, _read_yaml(path), str(path))
        if record.id in records:  # type: ignore[attr-defined]
            raise InputError(str(path), "id", f"duplicates id {record.id!r}", "give each file its own id")  # type: ignore[attr-defined]
        records[record.id] = record  # type: ignore[attr-defined]
    return records


@lru_cache(maxsize=1)
def load_cards() -> dict[str, Card]:
    return _load_dir("cards", Card)  # type: ignore[return-value]


@lru_cache(maxsize=1)
def load_models() -> dict[str, ModelSpec]:
    return _load_dir("models", ModelSpec)  # type: ignore[return-value]


def _load_mapping(filename: str, model_cls: type[BaseModel]) -> dict[str, BaseModel]:
    """A catalog file that maps names to records of one kind."""
    path = catalog_dir() / filename
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(str(path), "(top level)", "must be a mapping of names to records", "see the shipped file")
    return {name: parse_record(model_cls, body, f"{path}:{name}") for name, body in raw.items()}


@lru_cache(maxsize=1)
def load_precisions() -> dict[str, Precision]:
    return _load_mapping("precisions.yaml", Precision)  # type: ignore[return-value]


def load_model_file(path: Path) -> ModelSpec:
    return parse_record(ModelSpec, _read_yaml(path), str(path))  # type: ignore[return-value]


def get_card(card_id: str) -> Card:
    cards = load_cards()
    if card_id not in cards:
        raise InputError(
            "--card", card_id, "is not a card in the catalog", f"use one of: {', '.join(sorted(cards))}"
        )
    return cards[card_id]


def get_model(model_ref: str) -> ModelSpec:
    """A model id from catalog/models/, or a path to a model spec YAML."""
    models = load_models()
    if model_ref in models:
        return models[model_ref]
    path = Path(model_ref)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_model_file(path)
    raise InputError(
        "--model", model_ref, "is neither a catalog model nor a model spec file",
        f"use one of: {', '.join(sorted(models))}, or a path to a .yaml made by `procure model import`",
    )


def get_precision(name: str) -> Precision:
    precisions = load_precisions()
    if name not in precisions:
        raise InputError("--precision", name, "is not a known precision", f"use one of: {', '.join(precisions)}")
    return precisions[name]


@lru_cache(maxsize=1)
def load_ecosystems() -> dict[str, Ecosystem]:
    return _load_mapping("ecosystems.yaml", Ecosystem)  # type: ignore[return-value]
