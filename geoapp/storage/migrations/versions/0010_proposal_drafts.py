"""Unsaved changes to a forum proposal, kept per user as they draw (drafts offered back on return).

Revision ID: 0010
Revises: 0009_shared_state
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009_shared_state'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal_drafts',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('assignment', sa.JSON(), nullable=False),
    sa.Column('forums', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'user_id')
    )
    with op.batch_alter_table('proposal_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_drafts_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('proposal_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_drafts_user_id'))
    op.drop_table('proposal_drafts')
