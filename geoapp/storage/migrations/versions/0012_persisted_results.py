"""Persisted results: what a profile reads that is costly to work out (weights between two sets, how two sets
align, indicator figures, deprivation summaries), kept in the store per version of the sets it comes from, so
a restarted process answers its first request without rebuilding them.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('persisted_results',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('set_a', sa.String(length=64), nullable=True),
    sa.Column('set_b', sa.String(length=64), nullable=True),
    sa.Column('slot', sa.String(length=64), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['set_a'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_b'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('persisted_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persisted_results_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_persisted_results_set_a'), ['set_a'], unique=False)
        batch_op.create_index(batch_op.f('ix_persisted_results_set_b'), ['set_b'], unique=False)
        batch_op.create_index(batch_op.f('ix_persisted_results_slot'), ['slot'], unique=False)


def downgrade():
    with op.batch_alter_table('persisted_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persisted_results_slot'))
        batch_op.drop_index(batch_op.f('ix_persisted_results_set_b'))
        batch_op.drop_index(batch_op.f('ix_persisted_results_set_a'))
        batch_op.drop_index(batch_op.f('ix_persisted_results_kind'))
    op.drop_table('persisted_results')
