#!/usr/bin/python
"""Ansible module: keep Mosquitto's password file in step with the inventory's devices.

Why a module: ``mosquitto_passwd`` salts every hash, so calling it on each run would rewrite
the file (and reload the broker) every time. This module checks each existing hash against the
wanted password and calls ``mosquitto_passwd`` only for accounts that are new or changed. The
password goes to mosquitto_passwd on standard input, never on a command line; ``-U`` is not used
because it cuts a password at its first ':'.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: schoolnet_mosquitto_passwd
short_description: Mosquitto password file entries for schoolnet devices
description:
  - Adds or updates one entry per account, hashing with mosquitto_passwd only when needed.
  - Removes entries of the schools listed in O(prune_schools) that are no longer wanted.
options:
  path: {description: The password file., type: path, required: true}
  accounts:
    description: Accounts, each a dict with C(username) and C(password).
    type: list
    elements: dict
    required: true
  prune_schools:
    description: School ids whose other accounts (C(<school>), C(<school>/*)) are removed.
    type: list
    elements: str
    default: []
  mosquitto_passwd: {description: The mosquitto_passwd binary., type: path, default: mosquitto_passwd}
extends_documentation_fragment: [files]
"""

import base64
import hashlib
import hmac
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def hash_matches(password: str, entry_hash: str) -> bool:
    """True when a ``$7$`` (PBKDF2-SHA512) hash is the hash of ``password``."""
    parts = entry_hash.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False  # older $6$ hashes are rewritten as $7$
    try:
        iterations, salt, digest = (
            int(parts[2]),
            base64.b64decode(parts[3]),
            base64.b64decode(parts[4]),
        )
    except ValueError:
        return False
    mine = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, len(digest))
    return hmac.compare_digest(mine, digest)


def read_entries(path: str) -> dict[str, str]:
    entries = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                user, sep, entry_hash = line.rstrip("\n").partition(":")
                if sep:
                    entries[user] = entry_hash
    return entries


def new_hash(module: AnsibleModule, username: str, password: str) -> str:
    """Hash one password with mosquitto_passwd, fed on stdin, and check it came out whole."""
    binary = module.get_bin_path(module.params["mosquitto_passwd"], required=True)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = os.path.join(tmp, "passwd")
        rc, _, err = module.run_command(
            [binary, "-c", scratch, username], data=f"{password}\n{password}\n", binary_data=True
        )
        if rc != 0:
            module.fail_json(msg=f"mosquitto_passwd failed for {username}: {err.strip()}")
        entry_hash = read_entries(scratch).get(username, "")
    if not hash_matches(password, entry_hash):
        module.fail_json(msg=f"mosquitto_passwd did not store the password of {username} intact")
    return entry_hash


def check_account(module: AnsibleModule, account: dict) -> tuple[str, str]:
    username, password = account.get("username"), account.get("password")
    if not isinstance(username, str) or not username or ":" in username or "\n" in username:
        module.fail_json(
            msg=f"account username {username!r} must be a non-empty string without ':'"
        )
    if not isinstance(password, str) or not password or "\n" in password:
        module.fail_json(msg=f"account {username}: password must be a non-empty single line")
    return username, password


def is_pruned(username: str, schools: list[str]) -> bool:
    return any(username == s or username.startswith(s + "/") for s in schools)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "accounts": {"type": "list", "elements": "dict", "required": True, "no_log": True},
            "prune_schools": {"type": "list", "elements": "str", "default": []},
            "mosquitto_passwd": {"type": "path", "default": "mosquitto_passwd", "no_log": False},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params["path"]
    old = read_entries(path)
    wanted = [check_account(module, a) for a in module.params["accounts"]]
    names = [u for u, _ in wanted]
    if len(set(names)) != len(names):
        dupes = sorted({u for u in names if names.count(u) > 1})
        module.fail_json(msg=f"accounts listed twice: {', '.join(dupes)}")

    kept = {
        u: h
        for u, h in old.items()
        if u in names or not is_pruned(u, module.params["prune_schools"])
    }
    stale = [u for u, p in wanted if not hash_matches(p, old.get(u, ""))]
    removed = sorted(set(old) - set(kept))
    changed = bool(stale or removed)
    if changed and not module.check_mode:
        for username, password in wanted:
            if username in stale:
                kept[username] = new_hash(module, username, password)
        content = "".join(f"{u}:{h}\n" for u, h in kept.items())
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".passwd.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        module.atomic_move(tmp, path)
    file_args = module.load_file_common_arguments(module.params)
    if os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(
        changed=changed, added_or_updated=sorted(stale), removed=removed, accounts=len(kept)
    )


if __name__ == "__main__":
    main()
