"""Indicators declare their set, role, domain and series; catalogues, comparators (England), district
summaries and published lookups between sets are stored.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('role', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('domain', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('series', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('areas_with_values', sa.Integer(), nullable=True))
    # Stores loaded before roles existed: their values stay on the first LSOA set, the population keeps
    # being the population, and an indicator with no value in any area is marked empty.
    op.execute("UPDATE indicators SET set_id = (SELECT id FROM boundary_sets WHERE kind = 'lsoa' "
               "ORDER BY created_at LIMIT 1) WHERE set_id IS NULL")
    op.execute("UPDATE indicators SET series = id WHERE series IS NULL")
    op.execute("UPDATE indicators SET role = 'population' WHERE id IN ('population-total', 'population')")
    op.execute("UPDATE indicators SET areas_with_values = (SELECT COUNT(DISTINCT v.area_id) FROM indicator_values v "
               "WHERE v.indicator_id = indicators.id AND v.value IS NOT NULL)")
    op.create_table(
        'indicator_catalogues',
        sa.Column('id', sa.String(length=100), primary_key=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('licence', sa.Text(), nullable=True),
        sa.Column('set_id', sa.String(length=64), nullable=False),
        sa.Column('population_estimates', sa.Boolean(), nullable=False),
        sa.Column('national_areas', sa.Integer(), nullable=True),
        sa.Column('fictional', sa.Boolean(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'comparator_values',
        sa.Column('indicator_id', sa.String(length=100), sa.ForeignKey('indicators.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('period', sa.String(length=40), primary_key=True),
        sa.Column('code', sa.String(length=64), primary_key=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('lower', sa.Float(), nullable=True),
        sa.Column('upper', sa.Float(), nullable=True),
        sa.Column('numerator', sa.Float(), nullable=True),
        sa.Column('denominator', sa.Float(), nullable=True),
        sa.Column('method', sa.Text(), nullable=True),
        sa.Column('source', sa.Text(), nullable=True),
    )
    op.create_table(
        'district_summaries',
        sa.Column('catalogue_id', sa.String(length=100), primary_key=True),
        sa.Column('domain', sa.String(length=40), primary_key=True),
        sa.Column('code', sa.String(length=64), primary_key=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('measures', sa.JSON(), nullable=False),
        sa.Column('ranks', sa.JSON(), nullable=False),
        sa.Column('districts', sa.Integer(), nullable=False),
        sa.Column('method', sa.Text(), nullable=True),
    )
    op.create_table(
        'area_lookups',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('from_set', sa.String(length=64), nullable=False),
        sa.Column('from_code', sa.String(length=64), nullable=False),
        sa.Column('to_set', sa.String(length=64), nullable=False),
        sa.Column('to_code', sa.String(length=64), nullable=False),
        sa.Column('change', sa.String(length=4), nullable=True),
    )
    op.create_index('ix_area_lookups_sets', 'area_lookups', ['from_set', 'to_set'])


def downgrade():
    op.drop_index('ix_area_lookups_sets', table_name='area_lookups')
    op.drop_table('area_lookups')
    op.drop_table('district_summaries')
    op.drop_table('comparator_values')
    op.drop_table('indicator_catalogues')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        for column in ('areas_with_values', 'series', 'domain', 'role', 'set_id'):
            batch_op.drop_column(column)
