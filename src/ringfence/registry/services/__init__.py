"""Registry services: every write to the registry goes through here, validated and audited.

One module per sub-domain; the names are re-exported so callers write
``from ringfence.registry import services; services.transfer_person(...)``.
Each service takes natural keys (codes, employee numbers), an effective date (a date means 00:00 JST) and
the ``actor`` recorded in the audit trail, and raises ``RingfenceError`` with a one-line reason on
impossible input.
"""

from ._common import UNSET, effective_at
from .facilities import normalise_cidr, retire_network_segment, save_network_segment, save_room, save_zone
from .organisation import (
    add_role_member,
    assign_responsibility,
    change_employment_type,
    change_person_details,
    change_unit,
    close_unit,
    create_unit,
    end_responsibility,
    hire_person,
    remove_role_member,
    retire_person,
    return_from_leave,
    save_role,
    start_leave,
    transfer_out_person,
    transfer_person,
)
from .systems import (
    catalogue_system,
    change_account,
    delete_account,
    disable_account,
    enable_account,
    grant_entitlement,
    register_account,
    revoke_entitlement,
    set_account_owner,
)
from .terminals import (
    assign_terminal,
    dispose_terminal,
    lend_terminal,
    mark_terminal_lost,
    move_terminal,
    record_physical_check,
    register_terminal,
    return_terminal,
)

__all__ = [
    "UNSET",
    "add_role_member",
    "assign_responsibility",
    "assign_terminal",
    "catalogue_system",
    "change_account",
    "change_employment_type",
    "change_person_details",
    "change_unit",
    "close_unit",
    "create_unit",
    "delete_account",
    "disable_account",
    "dispose_terminal",
    "effective_at",
    "enable_account",
    "end_responsibility",
    "grant_entitlement",
    "hire_person",
    "lend_terminal",
    "mark_terminal_lost",
    "move_terminal",
    "normalise_cidr",
    "record_physical_check",
    "register_account",
    "register_terminal",
    "remove_role_member",
    "retire_network_segment",
    "retire_person",
    "return_from_leave",
    "return_terminal",
    "revoke_entitlement",
    "save_network_segment",
    "save_role",
    "save_room",
    "save_zone",
    "set_account_owner",
    "start_leave",
    "transfer_out_person",
    "transfer_person",
]
