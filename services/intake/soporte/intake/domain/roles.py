"""What a member of the desk's staff is: an agent, or a lead who is also accountable for the desk's promise.

The smallest role model the staff accounts can grow from: one role per agent,
kept with the agent and told to the other services in ``whoami``. Leads do
everything agents do, and read the desk's dashboard, reports and exports.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
