"""State every app server shares: sign-in sessions, rate-limit counts, named locks, group-import uploads.

Revision ID: 0009_shared_state
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_shared_state'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.String(length=64), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'])
    op.create_table(
        'rate_limits',
        sa.Column('key', sa.String(length=512), primary_key=True),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
    )
    op.create_table(
        'named_locks',
        sa.Column('name', sa.String(length=200), primary_key=True),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'group_import_uploads',
        sa.Column('token', sa.String(length=64), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=True),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created', sa.Float(), nullable=False),
    )


def downgrade():
    op.drop_table('group_import_uploads')
    op.drop_table('named_locks')
    op.drop_table('rate_limits')
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
