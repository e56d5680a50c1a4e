"""Group records people can trust: each imported list's licence line in its own column, what a sender was
warned of about where the group is, the licence of each postcode file, and no import date as "details checked".

Data: a licence the importer had folded into ``source`` (``"... . Licence: X"``) moves to ``licence``; an
imported group never sent in nor decided by an editor whose ``last_verified`` is the day it was stored (the
importer wrote the import date when the file had none) is set to NULL, as nobody said when it was checked.

Revision ID: 0011
Revises: 0010
"""
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

FOLDED = ". Licence: "
_groups = sa.table('community_groups', sa.column('id', sa.Integer), sa.column('source', sa.Text),
                   sa.column('licence', sa.Text), sa.column('last_verified', sa.Date),
                   sa.column('created_at', sa.DateTime(timezone=True)),
                   sa.column('submitted_at', sa.DateTime(timezone=True)),
                   sa.column('reviewed_at', sa.DateTime(timezone=True)))


def upgrade():
    with op.batch_alter_table('community_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licence', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sender_warnings', sa.JSON(), nullable=True))
    op.create_table('postcode_sources',
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('layout', sa.String(length=60), nullable=False),
    sa.Column('licence', sa.Text(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source')
    )
    bind = op.get_bind()
    for group_id, source in bind.execute(sa.select(_groups.c.id, _groups.c.source)
                                         .where(_groups.c.source.contains(FOLDED))).all():
        kept, _, licence = source.partition(FOLDED)
        bind.execute(_groups.update().where(_groups.c.id == group_id).values(source=kept, licence=licence))
    imported = bind.execute(sa.select(_groups.c.id, _groups.c.last_verified, _groups.c.created_at).where(
        _groups.c.last_verified.is_not(None), _groups.c.submitted_at.is_(None), _groups.c.reviewed_at.is_(None)))
    london = ZoneInfo("Europe/London")
    stamped = [group_id for group_id, verified, created in imported
               if created is not None and verified in _days(created, london)]
    if stamped:
        bind.execute(_groups.update().where(_groups.c.id.in_(stamped)).values(last_verified=None))


def _days(moment, london):
    """The day a stored moment fell on, in UTC and in UK time (the importer used the server's date)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return {aware.astimezone(UTC).date(), aware.astimezone(london).date()}


def downgrade():
    bind = op.get_bind()
    for group_id, source, licence in bind.execute(sa.select(_groups.c.id, _groups.c.source, _groups.c.licence)
                                                  .where(_groups.c.licence.is_not(None))).all():
        bind.execute(_groups.update().where(_groups.c.id == group_id)
                     .values(source=f"{source or ''}{FOLDED}{licence}"))
    op.drop_table('postcode_sources')
    with op.batch_alter_table('community_groups', schema=None) as batch_op:
        batch_op.drop_column('sender_warnings')
        batch_op.drop_column('licence')
