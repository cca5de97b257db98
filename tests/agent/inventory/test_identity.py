"""machine_id: stable on one machine, unique on cloned images, a copied state directory noticed."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from schoolnet_agent.inventory.identity import (
    FILENAME,
    Evidence,
    machine_id,
    same_machine,
    usable_uuid,
)

PLACEHOLDER = "03000200-0400-0500-0006-000700080009"


@pytest.mark.parametrize(
    "text",
    [
        PLACEHOLDER,
        "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
        "",
        None,
    ],
)
def test_placeholder_uuids_are_not_evidence(text):
    assert usable_uuid(text) is None


def test_real_uuid_is_lowercased():
    assert (
        usable_uuid("4C4C4544-0047-5110-8032-B7C04F4B344A")
        == "4c4c4544-0047-5110-8032-b7c04f4b344a"
    )


def test_id_is_created_once_and_kept(tmp_path, caplog):
    ev = Evidence(None, "7GQ2K4J", ["00:24:e8:5a:1b:2c"])
    with caplog.at_level(logging.INFO):
        first = machine_id(str(tmp_path), ev)
    assert "created" in caplog.text
    assert machine_id(str(tmp_path), ev) == first
    saved = json.loads((tmp_path / FILENAME).read_text())
    assert saved["machine_id"] == first and saved["serial"] == "7GQ2K4J"


def test_cloned_image_pcs_with_placeholder_uuid_get_different_ids(tmp_path):
    """The same image on two identical white boxes: same placeholder UUID and serial, and no
    state yet (the image was made before the agent first ran): the MACs tell them apart."""
    pc1 = machine_id(str(tmp_path / "pc1"), Evidence(None, None, ["d0:50:99:aa:bb:01"]))
    pc2 = machine_id(str(tmp_path / "pc2"), Evidence(None, None, ["d0:50:99:aa:bb:02"]))
    assert pc1 != pc2


def test_state_copied_to_another_machine_gets_a_new_id_and_says_so(tmp_path, caplog):
    original = tmp_path / "original"
    old = machine_id(str(original), Evidence(None, None, ["d0:50:99:aa:bb:01"]))
    clone = tmp_path / "clone"
    shutil.copytree(original, clone)  # the image was made after the agent had run
    here = Evidence(None, None, ["d0:50:99:aa:cc:07"])
    with caplog.at_level(logging.WARNING):
        new = machine_id(str(clone), here)
    assert new != old
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "cloned" in warning[0] and old in warning[0] and new in warning[0]
    caplog.clear()
    assert machine_id(str(clone), here) == new, "the clone keeps its new id"
    assert machine_id(str(original), Evidence(None, None, ["d0:50:99:aa:bb:01"])) == old
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_different_serial_is_a_clone_even_with_a_shared_mac(tmp_path):
    old = machine_id(str(tmp_path), Evidence(None, "SERIAL-A", ["00:11:22:33:44:55"]))
    assert machine_id(str(tmp_path), Evidence(None, "SERIAL-B", ["00:11:22:33:44:55"])) != old


def test_replaced_nic_on_the_same_board_keeps_the_id(tmp_path):
    uuid = "4c4c4544-0047-5110-8032-b7c04f4b344a"
    old = machine_id(str(tmp_path), Evidence(uuid, "7GQ2K4J", ["00:24:e8:5a:1b:2c"]))
    assert machine_id(str(tmp_path), Evidence(uuid, "7GQ2K4J", ["00:e0:4c:68:00:01"])) == old
    assert json.loads((tmp_path / FILENAME).read_text())["macs"] == ["00:e0:4c:68:00:01"]


def test_same_machine_rules():
    assert same_machine(Evidence("u1", "s1", ["m1"]), Evidence("u1", "s2", ["m2"])), "UUID decides"
    assert not same_machine(Evidence("u1", None, []), Evidence("u2", None, []))
    assert same_machine(Evidence(None, None, ["m1", "m2"]), Evidence(None, None, ["m2"]))
    assert same_machine(Evidence(), Evidence(None, None, ["m1"])), "nothing to compare: keep"


def test_unusable_identity_file_is_replaced(tmp_path, caplog):
    (tmp_path / FILENAME).write_text("{not json")
    ev = Evidence(None, None, ["00:24:e8:5a:1b:2c"])
    new = machine_id(str(tmp_path), ev)
    assert "unusable" in caplog.text
    assert json.loads((tmp_path / FILENAME).read_text())["machine_id"] == new


def test_no_evidence_at_all_gives_a_random_id_that_is_kept(tmp_path):
    first = machine_id(str(tmp_path / "a"), Evidence())
    assert machine_id(str(tmp_path / "a"), Evidence()) == first
    assert machine_id(str(tmp_path / "b"), Evidence()) != first
