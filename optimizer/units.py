"""The one place where units are converted.

Decimal units, as vendors quote them: GB = 1e9 bytes, GB/s = 1e9 bytes/s, TFLOPS = 1e12 FLOP/s.
Network links are quoted in bits: 400 Gb/s = 50 GB/s.
"""

BYTES_PER_GB = 1e9
BYTES_PER_GIB = 2**30
BYTES_PER_MIB = 2**20
FLOPS_PER_TFLOPS = 1e12
BITS_PER_BYTE = 8
MS_PER_S = 1e3
US_PER_S = 1e6


def gb_to_bytes(gb: float) -> float:
    return gb * BYTES_PER_GB


def gib_to_gb(gib: float) -> float:
    return gib * BYTES_PER_GIB / BYTES_PER_GB


def bytes_to_gb(n_bytes: float) -> float:
    return n_bytes / BYTES_PER_GB


def mib_to_bytes(mib: float) -> float:
    """Binary mebibytes, as collective libraries size their buffers (aiter, RCCL tests)."""
    return mib * BYTES_PER_MIB


def gbs_to_bytes_per_s(gbs: float) -> float:
    return gbs * BYTES_PER_GB


def gbps_to_bytes_per_s(gbps: float) -> float:
    """Network gigabits per second to bytes per second (400 Gb/s -> 50e9 B/s)."""
    return gbps * 1e9 / BITS_PER_BYTE


def tflops_to_flops(tflops: float) -> float:
    return tflops * FLOPS_PER_TFLOPS


def s_to_ms(seconds: float) -> float:
    return seconds * MS_PER_S


def us_to_s(microseconds: float) -> float:
    return microseconds / US_PER_S


def ms_to_s(milliseconds: float) -> float:
    return milliseconds / MS_PER_S


W_PER_KW = 1e3
HOURS_PER_YEAR = 24 * 365


def kw_to_w(kilowatts: float) -> float:
    return kilowatts * W_PER_KW


def w_to_kw(watts: float) -> float:
    return watts / W_PER_KW


# Counts and money shown in thousands, millions, billions (a "1,234 M RMB" axis, parameters in B).
THOUSAND = 1e3
MILLION = 1e6
BILLION = 1e9


def to_thousands(x: float) -> float:
    return x / THOUSAND


def to_millions(x: float) -> float:
    return x / MILLION


def to_billions(x: float) -> float:
    return x / BILLION
