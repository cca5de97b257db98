"""Alert rules: one module each, registered here in one line each.

A rule module holds its settings (a pydantic model: the keys of its entry in the rule file),
its short text (a message id of the catalogue), its condition over one pass's snapshot and its
doc (``base.Rule``). The rule file's validation (``alerting.rulefile``), the evaluator
(``alerting.conditions``) and the rule reference (``schoolnet-collector rules``,
docs/alerting.md) all read this list, in this order: ``school_offline`` first, since nothing
beneath an offline school is judged.
"""

from schoolnet_collector.alerting.rules.registry import Registration, Registry

RULES = Registry(
    (
        Registration("school_offline", ".school_offline:SchoolOffline"),
        Registration("device_offline", ".device_offline:DeviceOffline"),
        Registration("uplink_failover", ".uplink_failover:UplinkFailover"),
        Registration("no_internet", ".no_internet:NoInternet"),
        Registration("uplink_loss", ".uplink_loss:UplinkLoss"),
        Registration("uplink_latency", ".uplink_latency:UplinkLatency"),
        Registration("disk_full", ".disk_full:DiskFull"),
        Registration("smart_failing", ".smart_failing:SmartFailing"),
        Registration("projector_lamp", ".projector_lamp:ProjectorLamp"),
        Registration("projector_error", ".projector_error:ProjectorError"),
        Registration("lab_pcs_low", ".lab_pcs_low:LabPcsLow"),
        Registration("lan_host_unknown", ".lan_host_unknown:LanHostUnknown"),
        Registration("spool_dropping", ".spool_dropping:SpoolDropping"),
    )
)
