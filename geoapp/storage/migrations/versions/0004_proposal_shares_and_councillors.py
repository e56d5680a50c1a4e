"""Proposals shared with board members; councillors per ward.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal_shares',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'user_id')
    )
    with op.batch_alter_table('proposal_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_shares_user_id'), ['user_id'], unique=False)

    op.create_table('councillor_counts',
    sa.Column('set_id', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('set_id', 'code')
    )


def downgrade():
    op.drop_table('councillor_counts')
    with op.batch_alter_table('proposal_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_shares_user_id'))
    op.drop_table('proposal_shares')
