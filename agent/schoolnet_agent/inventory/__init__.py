"""Hardware and OS inventory for procurement: what each machine is, published when it changes.

``machine.py`` picks the reader for the platform (``linux.py``: sysfs/procfs; ``windows.py``:
WMI through PowerShell; smartctl for disk health on both, ``smart.py``) and adds the
``machine_id`` that ``identity.py`` keeps across cloned lab images. ``publisher.py`` sends the
result, retained, on the ``inventory`` channel at start and when its hash changes, through the
delivery below it. Keys: docs/protocol.md, "Names other parts depend on".
"""
