"""Contact-center simulator: Amazon Connect wire formats with faults, plus ground truth.

In: ``simulate(out_dir, agents, start, days, seed, timezone, interval_minutes, instance_arn,
...)``. Out: a Firehose-style folder tree of agent events, contact events and contact records,
``schedule.csv`` and ``truth/`` computed from the simulation's own timeline; see
:mod:`wfm_connector.simulator.runner`.
"""

from wfm_connector.simulator.runner import simulate
from wfm_connector.simulator.summary import SimulationSummary

__all__ = ["SimulationSummary", "simulate"]
