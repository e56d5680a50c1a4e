"""Community groups: where they serve and their moderation; consultation and engagement activity.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from geoapp.storage.geometry import Geometry

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('community_groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serves_scope', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('submitter_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updates_group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('merged_into', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_community_groups_updates_group_id', 'community_groups',
                                    ['updates_group_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_community_groups_reviewed_by', 'users', ['reviewed_by'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_community_groups_merged_into', 'community_groups', ['merged_into'],
                                    ['id'], ondelete='SET NULL')

    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('organiser', sa.String(length=300), nullable=False),
    sa.Column('topic', sa.Text(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('method', sa.String(length=60), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('results_url', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('group_ids', sa.JSON(), nullable=False),
    sa.Column('location', Geometry('POINT'), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_starts_on'), ['starts_on'], unique=False)


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_starts_on'))
    op.drop_table('consultations')
    with op.batch_alter_table('community_groups', schema=None) as batch_op:
        batch_op.drop_constraint('fk_community_groups_merged_into', type_='foreignkey')
        batch_op.drop_constraint('fk_community_groups_reviewed_by', type_='foreignkey')
        batch_op.drop_constraint('fk_community_groups_updates_group_id', type_='foreignkey')
        for column in ('merged_into', 'review_note', 'reviewed_at', 'reviewed_by', 'updates_group_id',
                       'submitted_at', 'submitter_email', 'serves_scope'):
            batch_op.drop_column(column)
