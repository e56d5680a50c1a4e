"""The ``geoapp`` command line, quick to start: a command's module is imported only when that command runs or
shows its help, and the project's commands run in the bare app (settings and storage, no pages), so
``geoapp sets`` loads neither the pages nor what they draw with (mapclassify, scipy.stats, folium, weasyprint).
Flask's own commands (``run``, ``shell``, ``routes``) build the whole app from :mod:`geoapp.app`.
"""
from __future__ import annotations

import importlib

import click
from flask.cli import FlaskGroup, ScriptInfo

#: Each command by name: the module whose ``COMMANDS`` holds it, and the start of its help (for the list
#: ``geoapp --help`` prints without importing any command; a test holds them to the commands' own help).
COMMANDS = {
    "db": ("geoapp.loading.commands", "Manage the store's schema."),
    "load": ("geoapp.loading.commands", "Load every file an area manifest (TOML) names, all or nothing."),
    "onboard": ("geoapp.loading.commands", "Write an editable manifest for an English district or unitary authority"),
    "demo": ("geoapp.loading.commands", "Generate the fictional demo borough and load it."),
    "prepare": ("geoapp.profiles.commands", "Work out what profiles read (weights, figures, deprivation, service"),
    "import-postcodes": ("geoapp.loading.commands", "Store postcodes with their grid references"),
    "import-boundaries": ("geoapp.boundary_sets.commands", "Import one boundary file"),
    "export": ("geoapp.boundary_sets.commands", "Export a boundary set as GeoPackage, GeoJSON or zipped Shapefile."),
    "sets": ("geoapp.boundary_sets.listing.commands", "List the boundary sets in the store."),
    "import-indicators": ("geoapp.indicators.commands", "Import an indicator catalogue"),
    "create-user": ("geoapp.auth.commands", "Add a user with a role"),
    "set-role": ("geoapp.auth.commands", "Change a user's role."),
    "proposal-check": ("geoapp.proposals.commands", "Check a proposal of forums"),
    "import-councillors": ("geoapp.proposals.commands", "Store councillors per ward"),
    "import-groups": ("geoapp.groups.imports.commands", "Import community groups from a CSV or XLSX file"),
    "alignment": ("geoapp.alignment.commands", "How well two boundary sets fit each other"),
    "lookup": ("geoapp.alignment.commands", "Write the best-fit lookup from one boundary set to another"),
}
#: Where Flask's own commands find the whole app (``--app`` overrides it), and the project's commands the bare
#: app (:func:`geoapp.web.factory.bare_app`), both imported by Flask only when a command needs the app.
WHOLE_APP = "geoapp.app:create_app()"
BARE_APP = "geoapp.web.factory:bare_app()"


class LazyGroup(FlaskGroup):
    """Flask's command group, importing a project command's module only when the command is asked for."""

    def make_context(self, info_name, args, parent=None, **extra):
        extra.setdefault("obj", ScriptInfo(app_import_path=WHOLE_APP, set_debug_flag=self.set_debug_flag,
                                           load_dotenv_defaults=self.load_dotenv))
        return super().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return super().get_command(ctx, name)
        info = ctx.ensure_object(ScriptInfo)
        if info.app_import_path == WHOLE_APP:  # not told otherwise by --app: run in the bare app
            info.app_import_path = BARE_APP
        module = importlib.import_module(COMMANDS[name][0])
        return next(command for command in module.COMMANDS if command.name == name)

    def format_commands(self, ctx, formatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit) if name in COMMANDS
                 else self.commands[name].get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


main = LazyGroup(add_default_commands=True, name="geoapp",
                 help="Partnership Atlas: boundaries, indicators and community groups by area.")
