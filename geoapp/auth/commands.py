"""The `geoapp create-user` and `set-role` commands: accounts made and changed from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..web.terminal import FAILURES, ready_db
from . import accounts
from .roles import ROLES, role_label


@click.command("create-user", help="Add a user with a role (e.g. the first admin).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--apb", "apb_code", help="The APB code of a board member.")
@click.password_option(help="Prompted for when omitted (at least 12 characters).")
@with_appcontext
def create_user_command(email: str, name: str, role: str, apb_code: str | None, password: str):
    db = ready_db()
    try:
        with db.transaction() as session:
            user = accounts.create_user(session, email=email, name=name, role=role, password=password,
                                        apb_code=apb_code, actor="cli")
    except FAILURES as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({role_label(role)}).")


@click.command("set-role", help="Change a user's role.")
@click.argument("email")
@click.argument("role", type=click.Choice(list(ROLES)))
@with_appcontext
def set_role_command(email: str, role: str):
    db = ready_db()
    try:
        with db.transaction() as session:
            user = accounts.find_user(session, email)
            if user is None:
                raise click.ClickException(f"There is no user with the e-mail {email}.")
            accounts.update_user(session, user, actor="cli", role=role)
    except FAILURES as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{email} is now: {role_label(role)}.")


COMMANDS = (create_user_command, set_role_command)
