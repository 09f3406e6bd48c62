"""Files the commands write (issue 17, items 3 and 4): names made from user text are safe and
unique, every file lands inside --out, links between reports resolve, and a command that fails or
is interrupted leaves nothing behind. (The bad-input corpus has the command-line cases.)"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.cli.output import Staging, check_folder, staged
from optimizer.errors import InputError
from optimizer.report.names import MAX_PART_BYTES, safe_part, unique

REPO = Path(__file__).resolve().parents[2]
BIDS = REPO / "scenarios" / "r1_bids_h200_910b_mi300x.yaml"


@pytest.mark.parametrize("text", ["h200-8x", "atlas-910b2-8x", "华为-910b", "a_b.c"])
def test_an_ordinary_id_is_its_own_name(text: str):
    assert safe_part(text) == text


@pytest.mark.parametrize("text", ["x/../../..", "..", ".hidden", "a b", "a\\b", "a:b", "tab\there", "m" * 300, "华" * 100, "/", ""])
def test_any_text_becomes_one_plain_short_name(text: str):
    name = safe_part(text)
    assert name and "/" not in name and "\\" not in name and not name.startswith((".", "-"))
    assert len(name.encode("utf-8")) <= MAX_PART_BYTES
    assert re.fullmatch(r"[\w.\-]+", name), name


def test_different_texts_never_share_a_name():
    texts = ["a/b", "a:b", "a b", "a-b", "a\\b", "m" * 300, "m" * 301, "A/B"]
    names = [safe_part(t) for t in texts]
    assert len({n.casefold() for n in names}) == len(texts), names


def test_unique_numbers_repeats_without_regard_to_case():
    used: set[str] = set()
    assert [unique(s, used) for s in ("a", "a", "A", "b")] == ["a", "a-2", "A-3", "b"]


def test_nothing_staged_reaches_out_when_the_command_fails(tmp_path: Path):
    out = tmp_path / "new" / "out"
    for failure in (InputError("x", "y", "z", "w"), RuntimeError("a bug"), KeyboardInterrupt()):
        with pytest.raises(type(failure)), staged(out) as stage:
            stage.path("report.md").write_text("half", encoding="utf-8")
            raise failure
        assert not (tmp_path / "new").exists()  # the folders made for the files went too


def test_commit_moves_every_file_and_replaces_older_ones(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("old", encoding="utf-8")
    with staged(out) as stage:
        stage.path("report.md").write_text("new", encoding="utf-8")
        stage.path("plot.png").write_bytes(b"png")
    assert sorted(p.name for p in out.iterdir()) == ["plot.png", "report.md"]
    assert (out / "report.md").read_text(encoding="utf-8") == "new"


def test_a_folder_in_the_way_of_a_report_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    (out / "report.md").mkdir(parents=True)
    with pytest.raises(InputError, match="is a folder"), staged(out) as stage:
        stage.path("plot.png").write_bytes(b"png")
        stage.path("report.md").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]


def test_staged_names_are_plain_file_names(tmp_path: Path):
    stage = Staging(tmp_path / "out")
    for bad in ("../x.md", "a/b.md", "..", "", "x\0.md"):
        with pytest.raises(ValueError):
            stage.path(bad)
    stage.discard()
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders (the corpus uses /sys)")
def test_a_read_only_folder_is_refused_before_any_work(tmp_path: Path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot be written"):
            check_folder(ro / "reports")
        result = CliRunner().invoke(app, ["solve", str(BIDS), "--out", str(ro)])
        assert result.exit_code == 2 and "cannot be written" in result.output
    finally:
        ro.chmod(0o700)
    assert list(ro.iterdir()) == []


def test_reports_link_the_files_written_beside_them_whatever_the_scenario_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The comparison links its plots by the scenario file's stem (the names `procure solve` gives
    them), not by the scenario's `name`: every link of every report resolves."""
    text = BIDS.read_text(encoding="utf-8").replace("name: r1_bids_h200_910b_mi300x", "name: Q3 tender (draft)")
    assert "Q3 tender" in text
    scenario = tmp_path / "my bids.yaml"
    scenario.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    for command in (["solve", str(scenario), "--out", str(out)], ["compare", str(scenario), "--out", str(out)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert "my-bids-" in written[0] and all(n.startswith(written[0].split("_")[0].split(".")[0]) for n in written), written
    links = {link for md in out.glob("*.md") for link in re.findall(r"\]\(([^)]+)\)", md.read_text(encoding="utf-8"))
             if not link.startswith("http")}
    assert any(link.endswith(".png") for link in links) and any(link.endswith("_compare.md") for link in links), links
    assert all((out / link).is_file() for link in links), sorted(link for link in links if not (out / link).is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my bids.yaml", "out"]


def test_validate_json_lists_the_rows_it_did_not_read(tmp_path: Path):
    lines = (REPO / "catalog" / "calibration.csv").read_text(encoding="utf-8").splitlines()
    head, row = lines[0], lines[1]
    cols = head.split(",")
    bad = row.split(",")
    bad[cols.index("tp")] = "0"
    path = tmp_path / "runs.csv"
    path.write_text("\n".join([head, row, ",".join(bad)]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--csv", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"]["rejected"] == 1 and doc["summary"]["predicted"] == 1
    assert doc["rejected"][0] | {"fix": ""} == {"row": 1, "line": 3, "column": "tp", "value": "0",
                                                "problem": "'0' is not a whole number from 1 to 1,024", "fix": ""}


def test_an_owned_pattern_removes_what_the_output_no_longer_writes(tmp_path: Path, capsys):
    """A what-if report owns its plots as a set: a plot of an earlier run that this one did not
    write again is removed (and said so); other files in the folder are left alone; every file
    written is named on stderr."""
    (tmp_path / "s_whatif_ttft.png").write_bytes(b"old")
    (tmp_path / "s_whatif_tpot.png").write_bytes(b"old")
    (tmp_path / "notes.png").write_bytes(b"mine")
    with staged(tmp_path) as stage:
        stage.path("s_whatif_tpot.png").write_bytes(b"new")
        stage.owns("s_whatif_*.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.png", "s_whatif_tpot.png"]
    assert (tmp_path / "s_whatif_tpot.png").read_bytes() == b"new"
    err = capsys.readouterr().err
    assert f"wrote {tmp_path / 's_whatif_tpot.png'}" in err
    assert f"removed {tmp_path / 's_whatif_ttft.png'}" in err
