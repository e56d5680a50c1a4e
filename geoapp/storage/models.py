"""The data model: boundary sets and areas, indicators, community groups, proposals, users, audit."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .geometry import Geometry

BOUNDARY_KINDS = ("county", "lad", "apb", "laf", "ward", "parish", "lsoa", "msoa", "service")
#: What a set of kind "service" holds: (plural label, ONS-style prefix for lookup columns, one area).
SERVICE_TYPES = {
    "police-neighbourhood": ("Police neighbourhoods", "PFN", "police neighbourhood"),
    "health-locality": ("Health localities", "HLOC", "health locality"),
    "sub-icb": ("NHS sub-ICB locations", "SICBL", "sub-ICB location"),
    "icb": ("NHS integrated care boards", "ICB", "integrated care board"),
    "primary-care-network": ("Primary care networks", "PCN", "primary care network"),
    "ambulance": ("Ambulance services", "AMB", "ambulance service"),
    "fire-station": ("Fire station areas", "FSA", "fire station area"),
    "other": ("Other service areas", "SRV", "service area"),
}


#: The largest id (and count, version or page) the store holds: a PostgreSQL ``integer``. A number beyond it
#: in a request names nothing: paths answer 404 and query or form values 422, never a database error.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class BoundarySet(Base):
    """A set of areas of one kind and vintage: the wards of 2019, the APBs, a service's areas."""

    __tablename__ = "boundary_sets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    vintage: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    service_type: Mapped[str | None] = mapped_column(String(32))
    built_from: Mapped[str | None] = mapped_column(ForeignKey("boundary_sets.id"))
    superseded_by: Mapped[str | None] = mapped_column(ForeignKey("boundary_sets.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    import_report: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    areas: Mapped[list[Area]] = relationship(back_populates="boundary_set", cascade="all, delete-orphan",
                                             passive_deletes=True)


class Area(Base):
    """One area of a boundary set, with its ONS code where one exists."""

    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("set_id", "code"),
                      Index("ix_areas_bounds", "set_id", "minx", "maxx", "miny", "maxy"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    properties: Mapped[dict | None] = mapped_column(JSON)
    area_m2: Mapped[float] = mapped_column(Float)
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)
    geometry = mapped_column(Geometry("MULTIPOLYGON"), nullable=False)
    boundary_set: Mapped[BoundarySet] = relationship(back_populates="areas")


class AreaLink(Base):
    """How much of an area lies in an area of another set (1.0: wholly within)."""

    __tablename__ = "area_links"
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    container_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True,
                                              index=True)
    share: Mapped[float] = mapped_column(Float)


class Indicator(Base):
    """An indicator's metadata: what it measures, how it aggregates, where it comes from."""

    __tablename__ = "indicators"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    catalogue: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    multiplier: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[str | None] = mapped_column(String(100))
    denominator: Mapped[str | None] = mapped_column(String(100))
    polarity: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    source_column: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The boundary set whose areas the values are stored for (the LSOAs of one vintage, or wards).
    set_id: Mapped[str | None] = mapped_column(String(64))
    #: What else the indicator is for its catalogue (layers.catalogue.ROLES): "population", "age band", ...
    role: Mapped[str | None] = mapped_column(String(40))
    #: The Indices of Deprivation domain it measures ("IMD", "Income", ...), for the summary measures.
    domain: Mapped[str | None] = mapped_column(String(40))
    #: Indicators of one series are the same measure in different releases (IoD2019, IoD2025): a trend.
    series: Mapped[str | None] = mapped_column(String(100))
    #: Areas of its set with a value in some period; 0 means an empty indicator, never offered.
    areas_with_values: Mapped[int | None] = mapped_column(Integer)


class IndicatorCatalogue(Base):
    """An imported catalogue: where its values came from, what it declares, and the loader's report."""

    __tablename__ = "indicator_catalogues"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    set_id: Mapped[str] = mapped_column(String(64))
    #: Its population is an estimate of all residents: each area's population in the Atlas.
    population_estimates: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Small areas ranked nationally, for the Indices of Deprivation summary measures.
    national_areas: Mapped[int | None] = mapped_column(Integer)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[dict | None] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ComparatorValue(Base):
    """An indicator's figure for a comparator outside the borough (England), made by the same engine."""

    __tablename__ = "comparator_values"
    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)


class DistrictSummary(Base):
    """One district's Indices of Deprivation summary measures for one domain, ranked among all districts."""

    __tablename__ = "district_summaries"
    catalogue_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    measures: Mapped[dict] = mapped_column(JSON)
    ranks: Mapped[dict] = mapped_column(JSON)
    districts: Mapped[int] = mapped_column(Integer)
    method: Mapped[str | None] = mapped_column(Text)


class AreaLookup(Base):
    """A published lookup between two sets' codes (LSOA 2011 to LSOA 2021): U unchanged, S split, M merged."""

    __tablename__ = "area_lookups"
    __table_args__ = (Index("ix_area_lookups_sets", "from_set", "to_set"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_set: Mapped[str] = mapped_column(String(64))
    from_code: Mapped[str] = mapped_column(String(64))
    to_set: Mapped[str] = mapped_column(String(64))
    to_code: Mapped[str] = mapped_column(String(64))
    change: Mapped[str | None] = mapped_column(String(4))


class IndicatorValue(Base):
    """One indicator's value for one area and period; missing stays missing (NULL)."""

    __tablename__ = "indicator_values"
    __table_args__ = (Index("ix_indicator_values_indicator_period", "indicator_id", "period"),)
    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"),
                                              primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)


class Target(Base):
    """A performance target for one indicator in one area: from a baseline towards a value by a period."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("indicator_id", "set_id", "code", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(40))
    baseline_period: Mapped[str] = mapped_column(String(40))
    baseline_value: Mapped[float] = mapped_column(Float)
    target_value: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SavedList(Base):
    """A user's named list of areas (set and code), to compare again later."""

    __tablename__ = "saved_lists"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    areas: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class CommunityGroup(Base):
    """A voluntary, community or faith group, where it is based and whom it serves."""

    __tablename__ = "community_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    group_type: Mapped[str] = mapped_column(String(60))
    themes: Mapped[list] = mapped_column(JSON, default=list)
    serves: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[dict | None] = mapped_column(JSON)
    contact: Mapped[dict | None] = mapped_column(JSON)
    website: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    charity_number: Mapped[str | None] = mapped_column(String(20))
    location = mapped_column(Geometry("POINT"), nullable=True)
    served_area = mapped_column(Geometry("MULTIPOLYGON"), nullable=True)
    served_area_codes: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="published")
    source: Mapped[str | None] = mapped_column(Text)
    #: The licence or credit line of the list the group was loaded from (None when sent in through the form).
    licence: Mapped[str | None] = mapped_column(Text)
    fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the group's details were last checked: the source's own date, or an editor's approval; None when
    #: nobody has said.
    last_verified: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    #: "borough", "areas" (served_area_codes: [{"set", "code"}]) or "drawn" (served_area).
    serves_scope: Mapped[str | None] = mapped_column(String(20))
    #: Moderation: who sent it (told the outcome), which published group it updates, the decision.
    submitter_email: Mapped[str | None] = mapped_column(String(254))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updates_group_id: Mapped[int | None] = mapped_column(ForeignKey("community_groups.id", ondelete="SET NULL"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    #: What the sender was told about where the group is and chose to send anyway: a list of
    #: :data:`geoapp.groups.placement.WARNINGS` keys ("unknown postcode", "outside the borough", ...).
    sender_warnings: Mapped[list | None] = mapped_column(JSON)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("community_groups.id", ondelete="SET NULL"))


class Consultation(Base):
    """A consultation or engagement activity a partner ran: who, on what, how, where and whom it reached."""

    __tablename__ = "consultations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    organiser: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[list] = mapped_column(JSON, default=list)
    method: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date | None] = mapped_column(Date)
    results_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    #: The areas reached: [{"set": set id, "code": area code}]; the whole borough when empty.
    areas: Mapped[list] = mapped_column(JSON, default=list)
    #: Ids of the community groups reached.
    group_ids: Mapped[list] = mapped_column(JSON, default=list)
    location = mapped_column(Geometry("POINT"), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Proposal(Base):
    """A proposed set of forums: blocks (wards by default) assigned to forums within containers."""

    __tablename__ = "proposals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    block_set_id: Mapped[str] = mapped_column(ForeignKey("boundary_sets.id"))
    container_set_id: Mapped[str | None] = mapped_column(ForeignKey("boundary_sets.id"))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProposalVersion(Base):
    """One saved version of a proposal: the block assignment, who saved it, when and why."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    assignment: Mapped[dict] = mapped_column(JSON)
    forums: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    saved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProposalShare(Base):
    """A proposal shared with one user (a board member), who may then read it."""

    __tablename__ = "proposal_shares"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    shared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProposalDraft(Base):
    """One user's unsaved changes to a proposal, kept as they draw so that a reload or a crash loses nothing.

    ``base_version`` is the version the changes started from; a save of a version removes the draft.
    """

    __tablename__ = "proposal_drafts"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    assignment: Mapped[dict] = mapped_column(JSON)
    forums: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CouncillorCount(Base):
    """How many councillors represent one area of a set (a ward), as imported or entered by an officer."""

    __tablename__ = "councillor_counts"
    set_id: Mapped[str] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class User(Base):
    """A person who signs in, with one role."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(30), default="public")
    apb_code: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A revocable token with which a script acts as its user on the JSON API; only its hash is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A signed-in browser session; the cookie holds a random token whose hash is the id.

    Deleting the row ends the session on every server: signing out, a password change, a role change and
    deactivation do so.
    """

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RateLimit(Base):
    """A rate-limit counter shared by every app server: hits in the window ending at ``expires_at``."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  #: seconds since the epoch


class NamedLock(Base):
    """A row to take a lock on by name, so that changes to one thing are made one after the other."""

    __tablename__ = "named_locks"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GroupImportUpload(Base):
    """A list of groups uploaded for import, kept between the steps of the browser import (an hour at most)."""

    __tablename__ = "group_import_uploads"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  #: the file; None once loaded
    state: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  #: "ready", then "loaded"
    created: Mapped[float] = mapped_column(Float)  #: seconds since the epoch


class AuditEntry(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class Postcode(Base):
    """A postcode's grid reference (EPSG:27700 metres) from Code-Point Open, the ONSPD or the project's CSV.

    ``easting``/``northing`` are NULL where the source gives no coordinates; ``positional_quality`` is the
    source's own indicator (Code-Point's 10 to 90, the ONSPD's osgrdind 1 to 9); ``terminated`` is the
    month a terminated postcode ended (ONSPD only), NULL when live or not known.
    """

    __tablename__ = "postcodes"
    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    easting: Mapped[float | None] = mapped_column(Float)
    northing: Mapped[float | None] = mapped_column(Float)
    positional_quality: Mapped[int | None] = mapped_column(Integer)
    terminated: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PostcodeSource(Base):
    """A file postcodes were loaded from, with its layout and the licence lines its use needs (Code-Point
    Open and the ONSPD need Royal Mail's); kept while any stored postcode comes from it."""

    __tablename__ = "postcode_sources"
    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    layout: Mapped[str] = mapped_column(String(60))
    licence: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Persisted(Base):
    """A result worked out once from stored data and kept for every process (weights between two sets, how
    two sets align, a set's indicator figures): ``key`` hashes everything it was made from (set versions,
    values version, ...), so a changed input makes a new key; the sets it belongs to delete it with them."""

    __tablename__ = "persisted_results"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    set_a: Mapped[str | None] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    set_b: Mapped[str | None] = mapped_column(ForeignKey("boundary_sets.id", ondelete="CASCADE"), index=True)
    #: Results of one kind, sets and slot replace each other (a hash of the three).
    slot: Mapped[str] = mapped_column(String(64), index=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
