"""The `geoapp` command line: every domain package's commands, gathered for the app factory."""
from __future__ import annotations

from .alignment.commands import COMMANDS as ALIGNMENT
from .auth.commands import COMMANDS as ACCOUNTS
from .boundary_sets.commands import COMMANDS as BOUNDARY_SETS
from .groups.imports.commands import COMMANDS as GROUPS
from .indicators.commands import COMMANDS as INDICATORS
from .loading.commands import COMMANDS as LOADING
from .proposals.commands import COMMANDS as PROPOSALS

COMMANDS = (*LOADING, *BOUNDARY_SETS, *INDICATORS, *ACCOUNTS, *PROPOSALS, *GROUPS, *ALIGNMENT)
