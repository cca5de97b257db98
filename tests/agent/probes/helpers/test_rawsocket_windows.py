"""Raw sockets on Windows need Npcap (and administrator rights where Npcap asks for them)."""

from __future__ import annotations


def test_windows_raw_sockets_need_npcap_and_say_so(tmp_path):
    from schoolnet_agent.probes.helpers.rawsocket_windows import FIX, windows_raw_socket_problem

    problem = windows_raw_socket_problem(str(tmp_path), admin=lambda: True)
    assert problem.startswith("Npcap is not installed") and "wpcap.dll" in problem
    dll = tmp_path / "System32" / "Npcap" / "wpcap.dll"
    dll.parent.mkdir(parents=True)
    dll.write_bytes(b"MZ")
    assert "administrator" in windows_raw_socket_problem(str(tmp_path), admin=lambda: False)
    assert windows_raw_socket_problem(str(tmp_path), admin=lambda: True) is None
    assert "Npcap" in FIX and "LocalSystem" in FIX
