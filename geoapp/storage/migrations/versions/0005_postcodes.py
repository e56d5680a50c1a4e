"""Postcodes with their grid references, for geocoding community groups offline.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('postcodes',
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('easting', sa.Float(), nullable=True),
    sa.Column('northing', sa.Float(), nullable=True),
    sa.Column('positional_quality', sa.Integer(), nullable=True),
    sa.Column('terminated', sa.Date(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('postcode')
    )


def downgrade():
    op.drop_table('postcodes')
