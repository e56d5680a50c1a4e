"""Performance targets for areas, users' saved lists of areas; where and when indicators were read.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_column', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.String(length=100), nullable=False),
    sa.Column('set_id', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('baseline_period', sa.String(length=40), nullable=False),
    sa.Column('baseline_value', sa.Float(), nullable=False),
    sa.Column('target_value', sa.Float(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_id'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('indicator_id', 'set_id', 'code', 'period')
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_targets_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('saved_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name')
    )
    with op.batch_alter_table('saved_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_lists_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('saved_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_lists_user_id'))
    op.drop_table('saved_lists')
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_targets_indicator_id'))
    op.drop_table('targets')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('source_column')
