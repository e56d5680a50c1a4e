"""Initial schema: boundary sets and areas, indicators, groups, proposals, users, audit log.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from geoapp.storage.geometry import Geometry

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('boundary_sets',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('vintage', sa.String(length=40), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('licence', sa.Text(), nullable=True),
    sa.Column('fictional', sa.Boolean(), nullable=False),
    sa.Column('built_from', sa.String(length=64), nullable=True),
    sa.Column('superseded_by', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('import_report', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['built_from'], ['boundary_sets.id'], ),
    sa.ForeignKeyConstraint(['superseded_by'], ['boundary_sets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('community_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('group_type', sa.String(length=60), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('serves', sa.JSON(), nullable=False),
    sa.Column('size', sa.JSON(), nullable=True),
    sa.Column('contact', sa.JSON(), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('charity_number', sa.String(length=20), nullable=True),
    sa.Column('location', Geometry('POINT'), nullable=True),
    sa.Column('served_area', Geometry('MULTIPOLYGON'), nullable=True),
    sa.Column('served_area_codes', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('fictional', sa.Boolean(), nullable=False),
    sa.Column('last_verified', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('indicators',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('catalogue', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('theme', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('multiplier', sa.Float(), nullable=True),
    sa.Column('numerator', sa.String(length=100), nullable=True),
    sa.Column('denominator', sa.String(length=100), nullable=True),
    sa.Column('polarity', sa.String(length=30), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('licence', sa.Text(), nullable=True),
    sa.Column('fictional', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('apb_code', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('set_id', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=True),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('minx', sa.Float(), nullable=False),
    sa.Column('miny', sa.Float(), nullable=False),
    sa.Column('maxx', sa.Float(), nullable=False),
    sa.Column('maxy', sa.Float(), nullable=False),
    sa.Column('geometry', Geometry('MULTIPOLYGON'), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['boundary_sets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('set_id', 'code')
    )
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_areas_set_id'), ['set_id'], unique=False)
        batch_op.create_index('ix_areas_bounds', ['set_id', 'minx', 'maxx', 'miny', 'maxy'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=100), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('block_set_id', sa.String(length=64), nullable=False),
    sa.Column('container_set_id', sa.String(length=64), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['block_set_id'], ['boundary_sets.id'], ),
    sa.ForeignKeyConstraint(['container_set_id'], ['boundary_sets.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('area_links',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['container_id'], ['areas.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'container_id')
    )
    with op.batch_alter_table('area_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_links_container_id'), ['container_id'], unique=False)

    op.create_table('indicator_values',
    sa.Column('indicator_id', sa.String(length=100), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('indicator_id', 'area_id', 'period')
    )
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_values_indicator_period', ['indicator_id', 'period'], unique=False)

    op.create_table('proposal_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('assignment', sa.JSON(), nullable=False),
    sa.Column('forums', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('saved_by', sa.Integer(), nullable=True),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'number')
    )

    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_areas_geometry", "areas", ["geometry"], postgresql_using="gist")
        op.create_index("ix_community_groups_location", "community_groups", ["location"],
                        postgresql_using="gist")
        op.create_index("ix_community_groups_served_area", "community_groups", ["served_area"],
                        postgresql_using="gist")


def downgrade():
    op.drop_table('proposal_versions')
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_values_indicator_period')

    op.drop_table('indicator_values')
    with op.batch_alter_table('area_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_links_container_id'))

    op.drop_table('area_links')
    op.drop_table('proposals')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_index('ix_areas_bounds')
        batch_op.drop_index(batch_op.f('ix_areas_set_id'))

    op.drop_table('areas')
    op.drop_table('users')
    op.drop_table('indicators')
    op.drop_table('community_groups')
    op.drop_table('boundary_sets')
