"""Boundary sets say which service their areas belong to (police neighbourhoods, sub-ICB locations, ...).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('boundary_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_type', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('boundary_sets', schema=None) as batch_op:
        batch_op.drop_column('service_type')
