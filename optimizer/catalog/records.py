"""Domain records: cards, models, precisions and efficiency factors, loaded from catalog/ YAML.

Every record is a strict, frozen pydantic model: an unknown key, a missing key, a non-positive or
non-finite number fails at load with the file and the field named. Units are in the field names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from optimizer import units
from optimizer.catalog import yaml_io
from optimizer.catalog.overlay import catalog_dir as catalog_dir  # re-exported: callers have long imported it from here
from optimizer.catalog.overlay import catalog_paths, overlay_dir
from optimizer.catalog.validation import RecordT, parse_record, problems_of
from optimizer.catalog.yaml_io import Lines
from optimizer.errors import InputError, Problem

PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFinite = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


# Bounded inputs: a positive (finite) number at most the upper end of the physically possible
# range; the name gives the bound. Each bound keeps the literal it always had (100_000 and 1e5 both
# exist: the error message says 100000 or 100000.0); 1_000_000.0 is 1e6 written out to stay clear of
# the bare-unit-conversion grep (tests/test_units_home.py).
Max50 = Annotated[float, Field(gt=0, le=50, allow_inf_nan=False)]
Max1000 = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
Max1e5 = Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)]
Max100_000 = Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]
Max1e6 = Annotated[float, Field(gt=0, le=1_000_000.0, allow_inf_nan=False)]
Max1e7 = Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)]
Max1e9 = Annotated[float, Field(gt=0, le=1_000_000_000.0, allow_inf_nan=False)]
Max1e10 = Annotated[float, Field(gt=0, le=1e10, allow_inf_nan=False)]
Max1e13 = Annotated[float, Field(gt=0, le=1e13, allow_inf_nan=False)]
IntMax64 = Annotated[int, Field(gt=0, le=64)]
IntMax100 = Annotated[int, Field(gt=0, le=100)]
IntMax128 = Annotated[int, Field(gt=0, le=128)]
IntMax1024 = Annotated[int, Field(gt=0, le=1024)]
IntMax1e7 = Annotated[int, Field(gt=0, le=10_000_000)]
IntMax65_536 = Annotated[int, Field(gt=0, le=65_536)]
IntMax100_000 = Annotated[int, Field(gt=0, le=100_000)]
IntMax1_000_000 = Annotated[int, Field(gt=0, le=1_000_000)]
IntMax10_000_000 = Annotated[int, Field(gt=0, le=10_000_000)]
IntMax100_000_000 = Annotated[int, Field(gt=0, le=100_000_000)]
IntMax1_000_000_000 = Annotated[int, Field(gt=0, le=1_000_000_000)]
IntMax10_000_000_000 = Annotated[int, Field(gt=0, le=10**10)]

PrecisionName = Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4"]
PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "int4", "fp4")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


def _catalog_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError("ids are lower-case letters, digits, '.' and '-'")
    return value


CatalogId = Annotated[str, AfterValidator(_catalog_id)]  # the id of a card or a model file
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

    low_rmb: Max1e10
    high_rmb: Max1e10
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
    bidir_gbs_per_card: Max1e6
    mesh_links: IntMax1024 | None = None
    domain_cards: IntMax1_000_000

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
    id: CatalogId
    name: str
    vendor: str
    family: str = Field(description="efficiency family key in catalog/efficiency.yaml")
    form_factor: Literal["sxm", "oam", "pcie", "module"]
    mem_gb: Max100_000 = Field(description="memory as the vendor states it; a binary size (mem_capacity_gb)")
    driver_mem_mib: IntMax1e7 | None = Field(
        None, description="memory.total as the card's driver reports it (nvidia-smi), MiB: what a runtime can address; "
        "null = mem_gb read as GiB",
    )
    mem_bw_gbs: Max1e6
    dense_tflops: dict[PrecisionName, Max1e6] = Field(
        description="dense (non-sparse) peak per natively computed precision; absent = unsupported"
    )
    scaleup: ScaleUp
    pcie_bidir_gbs: Max1e5
    nic_gbps_per_card: Max1e6
    tdp_w: Max100_000 | None = Field(description="null = unknown")
    cards_per_server: IntMax1024
    dies_per_package: IntMax64 = Field(
        1, description="compute dies in one package (Ascend 910C: 2); benchmarks may count dies, not packages"
    )
    export_control: str
    export_control_zh: str | None = Field(None, description="the export-control note in Chinese (for --lang zh reports)")
    notes: str
    price_rmb_per_card: PriceRange | None = Field(description="null = no public price found")
    provenance: dict[Literal["specs", "interconnect", "nic", "tdp", "form", "driver_mem"], Provenance]

    @property
    def mem_capacity_gb(self) -> float:
        """The memory a runtime can address, in GB (10^9 bytes): what the driver reports, else the
        vendor's size read as binary. Vendors' sizes are binary: the driver of an "80 GB" H100 reports
        81,559 MiB (79.6 GiB), a "141 GB" H200 143,771 MiB, a "180 GB" B200 183,359 MiB, an "192 GB"
        MI300X 192 GiB; read as 10^9 bytes they would undercount the card by 7 %. GDDR cards with ECC
        on report less than their size (an "48 GB" L40S: 46,068 MiB), which driver_mem_mib records."""
        if self.driver_mem_mib is not None:
            return units.bytes_to_gb(self.driver_mem_mib * units.BYTES_PER_MIB)
        return units.gib_to_gb(self.mem_gb)

    @model_validator(mode="after")
    def _every_number_has_a_source(self) -> Card:
        needed = {"specs", "interconnect", "nic"}
        if self.tdp_w is not None:
            needed.add("tdp")
        if self.driver_mem_mib is not None:
            needed.add("driver_mem")
        missing = needed - set(self.provenance)
        if missing:
            raise ValueError(f"provenance lacks {sorted(missing)}")
        return self


class LinearAttention(Strict):
    """Gated DeltaNet linear-attention layers (Qwen3-Next, Qwen3.5): the layers that are not full
    attention keep a fixed recurrent state per sequence instead of a per-token KV cache."""

    num_key_heads: IntMax65_536
    num_value_heads: IntMax65_536
    key_head_dim: IntMax65_536
    value_head_dim: IntMax65_536
    conv_kernel_dim: IntMax65_536


class SparseIndexer(Strict):
    """DeepSeek Sparse Attention (V3.2): a lightning indexer scores every cached token and each
    query attends only to the `topk` best."""

    num_heads: IntMax65_536
    head_dim: IntMax65_536
    topk: IntMax1_000_000
    # The indexer keeps its own key cache, one key of head_dim per token and layer, quantised in
    # blocks whatever format the attention's KV cache uses.
    key_element_bytes: Max50 = Field(description="bytes of one cached index-key element (FP8: 1)")
    key_scale_bytes: Max50 = Field(description="bytes of one dequantisation scale of the cached keys (FP32: 4)")
    key_scale_block_elements: IntMax65_536 = Field(description="key elements that share one scale")

    @model_validator(mode="after")
    def _whole_scale_blocks(self) -> SparseIndexer:
        if self.head_dim % self.key_scale_block_elements:
            raise ValueError("head_dim must be a multiple of key_scale_block_elements")
        return self


class Attention(Strict):
    kind: Literal["gqa", "mla"]
    num_heads: IntMax65_536
    num_kv_heads: IntMax65_536
    head_dim: IntMax65_536
    qkv_bias: bool = False
    qk_norm: bool = False
    kv_layers: IntMax100_000 | None = Field(
        None,
        description="layers that keep a per-token KV cache (full attention); the others are linear-attention or "
        "sliding-window layers whose state does not grow with the context; null = every layer",
    )
    # MLA only (DeepSeek-V2/V3/R1): low-rank query and a compressed key/value latent.
    q_lora_rank: IntMax1_000_000 | None = None
    kv_lora_rank: IntMax1_000_000 | None = None
    qk_rope_head_dim: IntMax65_536 | None = None
    qk_nope_head_dim: IntMax65_536 | None = None
    v_head_dim: IntMax65_536 | None = None
    output_gate: bool = Field(
        False, description="gated attention (Qwen3-Next, Qwen3.5): q_proj also emits a per-head output gate, "
        "twice the query width",
    )
    linear: LinearAttention | None = Field(
        None, description="the layers beyond kv_layers are Gated DeltaNet linear attention with these shapes; "
        "null = they are ordinary (sliding-window) attention or there are none",
    )
    indexer: SparseIndexer | None = Field(None, description="DeepSeek Sparse Attention indexer; null = dense attention")

    @model_validator(mode="after")
    def _mla_fields(self) -> Attention:
        mla = (self.kv_lora_rank, self.qk_rope_head_dim, self.qk_nope_head_dim, self.v_head_dim)
        if self.kind == "mla" and any(v is None for v in mla):
            raise ValueError(
                "MLA needs kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim"
            )
        if self.kind == "gqa" and self.num_heads % self.num_kv_heads:
            raise ValueError("num_heads must be a multiple of num_kv_heads")
        if self.num_kv_heads > self.num_heads:
            raise ValueError("num_kv_heads exceeds num_heads")
        if self.linear is not None and self.kv_layers is None:
            raise ValueError("linear attention needs kv_layers (the full-attention layers); the rest are linear")
        return self


class Moe(Strict):
    num_routed_experts: IntMax1_000_000
    experts_per_token: IntMax1_000_000
    num_shared_experts: int = Field(ge=0, le=10_000)
    moe_intermediate_size: IntMax10_000_000
    shared_expert_intermediate_size: IntMax10_000_000 | None = None
    dense_layers: int = Field(ge=0, le=100_000, description="leading layers with a dense FFN instead of MoE")

    @model_validator(mode="after")
    def _top_k(self) -> Moe:
        if self.experts_per_token > self.num_routed_experts:
            raise ValueError("experts_per_token exceeds num_routed_experts")
        return self


class ModelSpec(Strict):
    id: CatalogId
    name: str
    hidden_size: IntMax10_000_000
    num_layers: IntMax100_000
    intermediate_size: IntMax100_000_000 = Field(description="dense FFN width (dense layers)")
    vocab_size: IntMax100_000_000
    tie_embeddings: bool
    max_context: IntMax1_000_000_000
    attention: Attention
    moe: Moe | None = None
    mtp_layers: IntMax64 | None = Field(
        None, description="multi-token-prediction modules shipped with the checkpoint (DeepSeek-V3/R1, Qwen3.5: 1); "
        "null = none, so MTP speculative decoding cannot run on it",
    )
    checkpoint_precision: PrecisionName
    hf_model_type: str | None = Field(
        None, description="config.json model_type (llama, qwen3_moe, ...): engines choose kernels and collectives by it; "
        "null = not recorded",
    )
    published_total_params_b: Max1e6 | None = Field(
        None, description="total from the model card, to check the derived count; null = not published"
    )
    published_active_params_b: Max1e6 | None = None
    provenance: Provenance

    @model_validator(mode="after")
    def _layers_consistent(self) -> ModelSpec:
        if self.moe is not None and self.moe.dense_layers >= self.num_layers:
            raise ValueError(f"moe.dense_layers ({self.moe.dense_layers}) must be below num_layers ({self.num_layers})")
        if self.attention.kv_layers is not None and self.attention.kv_layers > self.num_layers:
            raise ValueError(f"attention.kv_layers ({self.attention.kv_layers}) exceeds num_layers ({self.num_layers})")
        if (self.published_active_params_b is not None and self.published_total_params_b is not None
                and self.published_active_params_b > self.published_total_params_b):
            raise ValueError("published_active_params_b exceeds published_total_params_b")
        return self


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
    note_zh: str | None = Field(None, description="the note in Chinese (for --lang zh reports)")
    source: str


HOURS_PER_DAY = 24


def a_day(values: list[float]) -> list[float]:
    """24 hourly fractions of the peak load, at least one of them above zero."""
    if len(values) != HOURS_PER_DAY:
        raise ValueError(f"has {len(values)} values; give {HOURS_PER_DAY}, one per hour from 00:00")
    if max(values) <= 0:
        raise ValueError("is zero at every hour; give the share of the peak load at each hour (the busiest hour is 1)")
    return values


HourlyFractions = Annotated[list[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]], AfterValidator(a_day)]


class LoadProfile(Strict):
    """A day's load as 24 hourly fractions of the peak (catalog/load_profiles.yaml)."""

    description: str
    description_zh: str | None = Field(None, description="the description in Chinese (for --lang zh reports)")
    hourly_fraction_of_peak: HourlyFractions = Field(description="the load at each hour from 00:00, as a share of the peak")
    source: str


# --------------------------------------------------------------------------------------------
# Loading


def _read_yaml(path: Path) -> object:
    """A catalog YAML file's data (strict: UTF-8, no duplicate keys, errors with the line)."""
    return read_yaml(path)[0]


def read_yaml(path: Path) -> tuple[object, Lines]:
    """The data of a YAML file and the line of each value, by path."""
    return yaml_io.load(path)


IdRecordT = TypeVar("IdRecordT", Card, ModelSpec)  # a record with an `id`, one file each


def _read_dir(folder: Path, model_cls: type[IdRecordT]) -> dict[str, IdRecordT]:
    """The records of one folder by id (errors name the file: it is read from its own path)."""
    records: dict[str, IdRecordT] = {}
    for path in sorted(folder.glob("*.yaml")):
        data, lines = read_yaml(path)
        record = parse_record(model_cls, data, str(path), lines)
        if record.id in records:
            raise InputError(str(path), "id", f"duplicates id {record.id!r}", "give each file its own id",
                             line=lines.get(("id",)))
        records[record.id] = record
    return records


def _load_dir(sub: str, model_cls: type[IdRecordT], overlay: Path | None) -> dict[str, IdRecordT]:
    """The shipped records, then the overlay's: an overlay id that is shipped replaces it (in place)."""
    records: dict[str, IdRecordT] = {}
    for folder in catalog_paths(sub, overlay):
        records |= _read_dir(folder, model_cls)
    return records


def load_cards() -> dict[str, Card]:
    return _cards(overlay_dir())


@lru_cache(maxsize=4)
def _cards(overlay: Path | None) -> dict[str, Card]:
    return _load_dir("cards", Card, overlay)


def load_models() -> dict[str, ModelSpec]:
    return _models(overlay_dir())


@lru_cache(maxsize=4)
def _models(overlay: Path | None) -> dict[str, ModelSpec]:
    return _load_dir("models", ModelSpec, overlay)


def read_mapping(path: Path, model_cls: type[RecordT]) -> dict[str, RecordT]:
    """A catalog file that maps names to records of one kind."""
    raw, lines = read_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(str(path), "(top level)", "must be a mapping of names to records", "see the shipped file")
    problems: list[Problem] = []
    out: dict[str, RecordT] = {}
    for name, body in raw.items():
        try:
            out[name] = model_cls.model_validate(body)
        except ValidationError as exc:
            problems += problems_of(exc, model_cls, lines, (name,))
    if problems:
        raise InputError.of(str(path), problems)
    return out


def merged_mapping(filename: str, model_cls: type[RecordT], overlay: Path | None) -> tuple[dict[str, RecordT], dict[str, Path]]:
    """The shipped file's entries, then the overlay's: a name in both takes the overlay's record
    (keeping its place); and the file each name was read from, for an error about that record."""
    out: dict[str, RecordT] = {}
    source: dict[str, Path] = {}
    for path in catalog_paths(filename, overlay):
        read = read_mapping(path, model_cls)
        out |= read
        source |= dict.fromkeys(read, path)
    return out, source


def _load_mapping(filename: str, model_cls: type[RecordT], overlay: Path | None) -> dict[str, RecordT]:
    return merged_mapping(filename, model_cls, overlay)[0]


def load_load_profiles() -> dict[str, LoadProfile]:
    return _load_profiles(overlay_dir())


@lru_cache(maxsize=4)
def _load_profiles(overlay: Path | None) -> dict[str, LoadProfile]:
    return _load_mapping("load_profiles.yaml", LoadProfile, overlay)


def load_precisions() -> dict[str, Precision]:
    return _precisions(overlay_dir())


@lru_cache(maxsize=4)
def _precisions(overlay: Path | None) -> dict[str, Precision]:
    return _load_mapping("precisions.yaml", Precision, overlay)


def load_model_file(path: Path) -> ModelSpec:
    data, lines = read_yaml(path)
    return parse_record(ModelSpec, data, str(path), lines)


def model_path(model_ref: str, base_dir: Path | None = None) -> Path | None:
    """The model spec file a reference names (relative to `base_dir`, the scenario's folder), or
    None when it names no file (a catalog id is the caller's to check first)."""
    path = Path(model_ref).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return path if path.suffix in (".yaml", ".yml") and path.is_file() else None


def load_ecosystems() -> dict[str, Ecosystem]:
    return _ecosystems(overlay_dir())


@lru_cache(maxsize=4)
def _ecosystems(overlay: Path | None) -> dict[str, Ecosystem]:
    return _load_mapping("ecosystems.yaml", Ecosystem, overlay)
