"""The playbooks parse, and the roles keep the conventions their README promises.

``ansible-playbook --syntax-check`` loads the playbooks, the roles and their argument specs.
The convention checks read the YAML directly: modules by fully qualified name, every variable
prefixed with its role's name, declared in defaults/main.yml and in meta/argument_specs.yml.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.paths import ROOT as ROOT_DIR

ANSIBLE_DIR = ROOT_DIR / "ansible"
ROLES = ANSIBLE_DIR / "roles"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
TASK_KEYWORDS = {
    "name",
    "when",
    "loop",
    "loop_control",
    "register",
    "notify",
    "tags",
    "vars",
    "become",
    "no_log",
    "diff",
    "changed_when",
    "failed_when",
    "args",
    "listen",
    "ignore_errors",
    "delegate_to",
    "run_once",
    "environment",
    "check_mode",
    "until",
    "retries",
    "delay",
}
# Modules shipped inside a role (library/) cannot carry a collection name.
ROLE_MODULES = {p.stem for p in ROLES.glob("*/library/*.py")}


def ansible_env() -> dict[str, str]:
    return dict(os.environ, ANSIBLE_NOCOLOR="1")


def test_playbooks_pass_syntax_check():
    result = subprocess.run(
        [
            str(PLAYBOOK_BIN),
            "-i",
            "inventory.example.yml",
            "playbooks/agent.yml",
            "playbooks/broker_accounts.yml",
            "--syntax-check",
        ],
        cwd=ANSIBLE_DIR,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stderr, result.stderr


def test_example_inventory_has_a_gateway_and_a_lab_in_one_school():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-inventory"),
            "-i",
            "inventory.example.yml",
            "--list",
        ],
        cwd=ANSIBLE_DIR,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    inventory = json.loads(result.stdout)
    school = inventory["lc-bxa-th-012"]["children"]
    assert set(school) == {"lc-bxa-th-012-gateway", "lc-bxa-th-012-lab1"}
    assert inventory["lc-bxa-th-012-gateway"]["hosts"] == ["lc-bxa-th-012-gw"]
    assert "lc-bxa-th-012-pc01" in inventory["lc-bxa-th-012-lab1"]["hosts"]


def task_actions(tasks: list[dict]):
    for task in tasks or []:
        for block_key in ("block", "rescue", "always"):
            yield from task_actions(task.get(block_key, []))
        actions = set(task) - TASK_KEYWORDS - {"block", "rescue", "always"}
        if not {"block", "rescue", "always"} & set(task):
            assert len(actions) == 1, f"task {task.get('name')!r} has actions {actions}"
            yield task.get("name"), actions.pop()


TASK_FILES = sorted(ROLES.glob("*/tasks/*.yml")) + sorted(ROLES.glob("*/handlers/*.yml"))


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: str(p.relative_to(ROLES)))
def test_every_task_names_its_module_fully_and_has_a_name(path):
    for name, action in task_actions(yaml.safe_load(path.read_text())):
        assert name, f"{path}: a task without a name ({action})"
        assert (
            action.startswith(("ansible.builtin.", "ansible.windows.")) or action in ROLE_MODULES
        ), f"{path}: {name!r} uses {action!r}, not a fully qualified module name"


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir()))
def test_role_variables_are_prefixed_defaulted_and_specified(role):
    defaults = yaml.safe_load((ROLES / role / "defaults/main.yml").read_text())
    specs = yaml.safe_load((ROLES / role / "meta/argument_specs.yml").read_text())["argument_specs"]
    options = specs["main"]["options"]
    assert all(name.startswith(f"{role}_") for name in [*defaults, *options])
    assert set(defaults) <= set(options), f"not in argument_specs: {set(defaults) - set(options)}"
    # A variable without a default is exactly a required one (school, broker, password).
    required = {n for n, o in options.items() if o.get("required")}
    assert set(options) - set(defaults) == required
    for name, option in options.items():
        assert option.get("description") and option.get("type"), f"{name}: description and type"
        if "default" in option and name in defaults:
            assert option["default"] == defaults[name], (
                f"{name}: argument_specs and defaults differ"
            )


def windows_collection_installed() -> bool:
    """ansible.windows in one of the places ansible-core looks (no ansible-doc run: ~1 s)."""
    paths = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)
    paths += [os.path.expanduser("~/.ansible/collections"), "/usr/share/ansible/collections"]
    return any((Path(p) / "ansible_collections/ansible/windows").is_dir() for p in paths if p)


@pytest.mark.skipif(
    not windows_collection_installed(),
    reason="ansible.windows collection not installed (ansible-galaxy collection install "
    "-r ansible/requirements.yml); Windows.yml is checked by the YAML tests only",
)
def test_windows_tasks_pass_syntax_check(tmp_path):
    play = tmp_path / "windows.yml"
    play.write_text(
        "- hosts: all\n  tasks:\n"
        + "".join(
            f"    - ansible.builtin.import_tasks: {ROLES}/schoolnet_agent/tasks/{name}\n"
            for name in ("Windows.yml", "restart_windows.yml")
        )
    )
    result = subprocess.run(
        [str(PLAYBOOK_BIN), "-i", "localhost,", str(play), "--syntax-check"],
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
