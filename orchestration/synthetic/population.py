"""Who is in the economy: companies (unités légales), their establishments and URSSAF accounts.

Everything here is drawn once, before the simulation: static attributes, planned establishment
openings and closures, and the proceedings some old companies went through before the simulated
period (they are delivered in the first procol batch, as a history extract would be).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.synthetic import identifiers, names
from orchestration.synthetic.geography import (
    COMPLEMENTS,
    STREET_NAMES,
    STREET_TYPE_WEIGHTS,
    STREET_TYPES,
    Geography,
    sirene_commune_label,
)
from orchestration.synthetic.health import CLASS_LEVELS, PUBLIC_CLASS
from orchestration.synthetic.reference import Reference
from orchestration.synthetic.sectors import (
    EXCLUDED_CATEGORIES,
    NAF_REV1_CODES,
    PSEUDO_SIRET_SUBCLASSES,
    SECTION_LETTERS,
    SECTIONS,
    draw_subclasses,
    legal_categories,
    with_dot,
)
from orchestration.synthetic.timeline import Timeline

BIRTH_RATE = 0.04  # yearly creations of companies, per company existing at the first simulated month
MICRO_SHARE = 0.12  # existing companies below 10 employees (some grow past 10, most never do)
NAF_REV2_START = np.datetime64("2008-01-01")
_NAT = np.datetime64("NaT", "D")


@dataclass
class Companies:
    siren: np.ndarray
    creation_day: np.ndarray  # datetime64[D]
    birth_t: np.ndarray  # month of creation, negative when before the simulation
    subclass: np.ndarray  # NAF rév. 2 without dot
    section: np.ndarray  # index into SECTION_LETTERS
    legal: np.ndarray  # INSEE legal category
    excluded: np.ndarray  # public legal category (perimeter rule P6)
    fclass: np.ndarray  # fragility class (health.CLASS_LEVELS)
    region: np.ndarray  # index into the region table of the head office
    departement: np.ndarray
    zone: np.ndarray  # metro / drom / com of the head office
    base_size: np.ndarray  # headcount scale at creation or at the first simulated month
    growth: np.ndarray  # yearly trend of the headcount scale
    young_growth: np.ndarray  # extra yearly growth during the first five years
    wage: np.ndarray  # monthly gross wage per employee, euros of 2020
    x0: np.ndarray  # health value at birth (or at the first simulated month)
    head: np.ndarray  # establishment index of the head office
    denomination: np.ndarray
    sigle: np.ndarray
    person: dict[str, np.ndarray]  # sole traders' names (empty strings for legal persons)
    diffusion: np.ndarray  # O or P
    ess: np.ndarray  # économie sociale et solidaire
    mission: np.ndarray  # société à mission
    past_opening_day: np.ndarray  # opening before the simulated period (NaT if none)
    past_action: np.ndarray

    def __len__(self) -> int:
        return len(self.siren)


@dataclass
class Establishments:
    company: np.ndarray
    siret: np.ndarray
    nic: np.ndarray
    head: np.ndarray
    pseudo: np.ndarray  # URSSAF pseudo-siret: never in Sirene
    creation_day: np.ndarray
    closure_day: np.ndarray  # planned closure independent of the company's fate (NaT if none)
    show_creation: np.ndarray  # Sirene leaves dateCreation empty for some old establishments
    weight: np.ndarray  # share of the company's staff
    commune: np.ndarray  # index into reference communes, -1 abroad
    commune_code: np.ndarray  # COG code ("" abroad)
    postcode: np.ndarray
    commune_label: np.ndarray
    departement: np.ndarray
    coordinates: np.ndarray  # (n, 2) lon/lat, NaN when ungeocoded
    street_number: np.ndarray
    repetition: np.ndarray
    street_type: np.ndarray
    street_name: np.ndarray
    complement: np.ndarray
    foreign_country: np.ndarray  # INSEE country code of an establishment abroad, else ""
    foreign_label: np.ndarray
    naf: np.ndarray  # activity as written in Sirene (52.21Z, or 17.1P for NAFRev1)
    nomenclature: np.ndarray
    enseigne: np.ndarray
    usual_name: np.ndarray
    diffusion: np.ndarray
    periods: np.ndarray  # nombrePeriodesEtablissement before any simulated change

    def __len__(self) -> int:
        return len(self.siret)


@dataclass
class Accounts:
    number: np.ndarray  # 18 digits
    establishment: np.ndarray  # siret the account is filed under
    company: np.ndarray
    urssaf: np.ndarray  # managing URSSAF, 3 digits
    departement: np.ndarray
    quarterly: np.ndarray  # small accounts paying quarterly (period code Y = 0)
    rate: np.ndarray  # contributions / gross payroll
    immatriculation: np.ndarray  # datetime64[D]

    def __len__(self) -> int:
        return len(self.number)


@dataclass
class Population:
    companies: Companies
    establishments: Establishments
    accounts: Accounts
    est_account: np.ndarray  # account of each establishment (-1: none)
    regions: np.ndarray  # region codes, index order of Companies.region
    region_zone: dict[str, str]


def _days_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    span = np.maximum((hi - lo).astype(np.int64), 0)
    return lo + (rng.random(len(lo)) * (span + 1)).astype(np.int64).astype("timedelta64[D]")


def _pareto(rng: np.random.Generator, n: int, alpha: float, low: float, cap: float) -> np.ndarray:
    return np.minimum(low * (1.0 - rng.random(n)) ** (-1.0 / alpha), cap)


def build_population(
    rng: np.random.Generator, n: int, timeline: Timeline, ref: Reference, geo: Geography
) -> Population:
    t0_day = timeline.first_days[0]
    end_day = timeline.first_days[timeline.t_horizon + 1]

    # --- companies ----------------------------------------------------------------------------
    existing = rng.random(n) < 1.0 / (1.0 + BIRTH_RATE * timeline.t_horizon / 12.0)
    birth_t = np.where(existing, -1, rng.integers(1, timeline.t_horizon + 1, n))
    age_years = np.minimum(rng.exponential(16.0, n), 70.0) + 0.3
    creation = np.where(
        existing,
        t0_day - (age_years * 365.25).astype(np.int64).astype("timedelta64[D]"),
        timeline.random_days(rng, np.maximum(birth_t, 0)),
    )
    creation_year = creation.astype("datetime64[Y]").astype(np.int64) + 1970
    subclass = draw_subclasses(rng, ref.naf, n)
    division = np.array([c[:2] for c in subclass.tolist()])
    section = np.searchsorted(SECTION_LETTERS, _sections_of(ref, subclass))
    legal = legal_categories(rng, division, creation_year)
    excluded = np.isin(legal, list(EXCLUDED_CATEGORIES))

    micro = existing & (rng.random(n) < MICRO_SHARE)
    base = _pareto(rng, n, 1.1, 10.0, 60_000.0)
    base = np.where(micro, rng.uniform(3.0, 9.5, n), base)
    newborn_size = np.clip(rng.lognormal(np.log(6.0), 0.7, n), 1.0, 80.0)
    base = np.where(existing, base, newborn_size)
    base = np.where(excluded, _pareto(rng, n, 1.0, 10.0, 20_000.0), base)
    growth = rng.normal(0.01, 0.04, n) + np.where(micro, rng.normal(0.05, 0.08, n), 0.0)
    young_growth = np.clip(rng.normal(0.12, 0.12, n), -0.1, 0.5)

    # Fragile classes fail fast, so they are rarer in the stock of existing companies than among
    # newborns; these shares are close to the steady state of the simulation.
    size_band = np.digitize(base, [20.0, 100.0])
    class_probs = np.array(
        [
            [0.28, 0.39, 0.28, 0.05],
            [0.34, 0.39, 0.24, 0.03],
            [0.50, 0.35, 0.14, 0.01],
            [0.15, 0.32, 0.33, 0.20],
        ]
    )
    band = np.where(existing, size_band, 3)
    u = rng.random(n)
    fclass = (u[:, None] > np.cumsum(class_probs[band], axis=1)).sum(axis=1).astype(np.int8)
    fclass = np.minimum(fclass, 3).astype(np.int8)
    fclass[excluded] = PUBLIC_CLASS

    # --- head offices and secondary establishments -------------------------------------------
    head_commune = geo.draw_communes(rng, n)
    head_dep = ref.communes.departement[head_commune]
    scale = np.where(existing, base, 1.0)
    n_active = 1 + np.minimum(rng.poisson(0.7 * (np.maximum(scale, 1.0) / 10.0) ** 0.8), 3000)
    n_active = np.where(existing, n_active, 1 + rng.poisson(0.15, n))
    n_closed = np.where(existing, rng.poisson(1.6 + 0.3 * np.sqrt(np.maximum(scale, 1.0) / 10.0)), 0)
    years_sim = timeline.t_horizon / 12.0
    n_future = rng.poisson(0.02 * years_sim * n_active)
    pseudo_share = np.array([PSEUDO_SIRET_SUBCLASSES.get(c, 0.0) for c in subclass.tolist()])
    n_pseudo = np.where(rng.random(n) < pseudo_share, 1 + (base > 200), 0)
    base = np.where(n_pseudo > 0, np.maximum(base, 10.0 + rng.random(n) * 10), base)

    kinds = [("active", n_active), ("closed", n_closed), ("future", n_future), ("pseudo", n_pseudo)]
    company_idx = np.concatenate([np.repeat(np.arange(n), k) for _, k in kinds])
    kind = np.concatenate([np.full(int(k.sum()), i) for i, (_, k) in enumerate(kinds)])
    order = np.lexsort((kind, company_idx))
    company_idx, kind = company_idx[order], kind[order]
    m = len(company_idx)
    first_of_company = np.r_[True, company_idx[1:] != company_idx[:-1]]
    is_head = first_of_company & (kind == 0)

    c_creation = creation[company_idx]
    est_creation = np.where(
        is_head,
        np.where(
            rng.random(m) < 0.3,
            _days_between(rng, c_creation, np.maximum(c_creation, t0_day - 1)),
            c_creation,
        ),
        _days_between(rng, c_creation, t0_day - 1),
    )
    closure = np.full(m, _NAT)
    closed = kind == 1
    early = c_creation[closed]
    opened = _days_between(rng, early, np.maximum(early + 365, t0_day - 400))
    est_creation[closed] = opened
    closure[closed] = _days_between(rng, opened + 180, np.maximum(opened + 180, t0_day - 1))
    future = kind == 2
    est_creation[future] = timeline.random_days(
        rng, rng.integers(1, timeline.t_horizon + 1, int(future.sum()))
    )
    newborn_est = ~existing[company_idx] & (kind == 0)
    est_creation[newborn_est] = np.where(
        is_head[newborn_est],
        c_creation[newborn_est],
        _days_between(rng, c_creation[newborn_est], np.minimum(c_creation[newborn_est] + 720, end_day)),
    )
    pseudo = kind == 3
    est_creation[pseudo] = np.maximum(c_creation[pseudo], np.datetime64("2005-01-01"))
    # Secondary establishments close now and then, whatever their company's health.
    secondary = ~is_head & ~closed & ~pseudo
    life = (rng.exponential(1.0 / 0.03, m) * 365.25).astype(np.int64).astype("timedelta64[D]")
    start_life = np.maximum(est_creation, t0_day)
    planned = start_life + life
    closure[secondary] = np.where(planned[secondary] < timeline.first_days[-1], planned[secondary], _NAT)

    # NIC serials follow creation order within the company; pseudo-sirets get their own NICs.
    serial_order = np.lexsort((est_creation.astype(np.int64), company_idx))
    rank = np.empty(m, dtype=np.int64)
    starts = np.r_[0, np.nonzero(np.diff(company_idx[serial_order]))[0] + 1]
    position = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m]))
    rank[serial_order] = position + 1

    first_digit = np.where(
        excluded, 2, rng.choice(np.array([3, 4, 5, 7, 8, 9]), n, p=[0.25, 0.22, 0.15, 0.08, 0.2, 0.1])
    )
    sirens = identifiers.draw_sirens(rng, first_digit)
    nic = identifiers.nics_for(sirens[company_idx], np.minimum(rank, 9999))
    # Real NICs start with 0 (fewer than 5000 establishments per company): no collision.
    nic[pseudo] = identifiers.pseudo_nics(rng, rank[pseudo])
    siret = np.char.add(sirens[company_idx], nic)

    # Places: the head office's commune, secondary ones often in the same département.
    commune = np.empty(m, dtype=np.int64)
    commune[:] = head_commune[company_idx]
    local = ~is_head & (rng.random(m) < 0.55)
    commune[local] = geo.draw_communes_in(rng, head_dep[company_idx][local])
    far = ~is_head & ~local
    commune[far] = geo.draw_communes(rng, int(far.sum()))
    abroad = ~is_head & ~pseudo & (rng.random(m) < 0.0008)
    est_dep = ref.communes.departement[commune]
    coords = geo.coordinates(rng, est_dep)
    postcodes = _draw_postcodes(rng, ref, commune)
    labels = np.array([sirene_commune_label(x) for x in ref.communes.label.tolist()])[commune]
    countries = np.where(abroad, rng.choice(np.array(["99109", "99131", "99127", "99134"]), m), "")
    country_labels = np.select(
        [countries == "99109", countries == "99131", countries == "99127", countries == "99134"],
        ["ALLEMAGNE", "BELGIQUE", "ITALIE", "ESPAGNE"],
        "",
    )
    foreign_city = np.select(
        [countries == "99109", countries == "99131", countries == "99127", countries == "99134"],
        ["BERLIN", "BRUXELLES", "MILAN", "BARCELONE"],
        "",
    )
    commune = np.where(abroad, -1, commune)
    postcodes = np.where(abroad, "", postcodes)
    labels = np.where(abroad, foreign_city, labels)
    est_dep = np.where(abroad, "", est_dep)
    coords[abroad] = np.nan

    # --- names, identities --------------------------------------------------------------------
    head_idx = np.nonzero(is_head)[0]
    head_of = np.full(n, -1)
    head_of[company_idx[head_idx]] = head_idx
    town = labels[head_of]
    denomination, sigle = names.denominations(rng, SECTION_LETTERS[section], town)
    assoc = np.char.startswith(legal, "92")
    denomination[assoc] = names.association_names(rng, town[assoc])
    denomination[excluded] = names.public_names(
        SECTION_LETTERS[section][excluded], division[excluded], town[excluded]
    )
    sole = legal == "1000"
    person = names.people(rng, n)
    for key in person:
        person[key] = np.where(sole, person[key], "")
    denomination[sole] = ""
    sigle[sole | excluded] = ""
    diffusion = np.where(sole & (rng.random(n) < 0.25), "P", "O")
    ess = np.where(assoc | np.isin(legal, ["5458", "5460", "8210", "6316"]), "O", "N")
    mission = np.where((legal == "5710") & (creation_year >= 2019) & (rng.random(n) < 0.01), "O", "N")

    naf_dot = with_dot(subclass)[company_idx]
    nomenclature = np.full(m, "NAFRev2", dtype="U7")
    old_closed = closed & (closure < NAF_REV2_START) & (rng.random(m) < 0.8)
    naf_dot = naf_dot.astype("U6")
    naf_dot[old_closed] = rng.choice(NAF_REV1_CODES, int(old_closed.sum()))
    nomenclature[old_closed] = "NAFRev1"

    shop = np.isin(SECTION_LETTERS[section][company_idx], ["G", "I", "S"]) & (rng.random(m) < 0.35)
    enseigne = np.where(shop, np.char.upper(names.SURNAMES[rng.integers(0, len(names.SURNAMES), m)]), "")
    enseigne = np.where(shop & (rng.random(m) < 0.5), np.char.add("CHEZ ", enseigne), enseigne)
    usual = np.where(rng.random(m) < 0.03, denomination[company_idx], "")

    street_type = rng.choice(STREET_TYPES, m, p=STREET_TYPE_WEIGHTS / STREET_TYPE_WEIGHTS.sum())
    number = np.where(rng.random(m) < 0.88, rng.integers(1, 180, m).astype(str), "")
    repetition = np.where(
        (number != "") & (rng.random(m) < 0.04), rng.choice(np.array(["B", "T", "Q"]), m), ""
    )
    complement = np.where(rng.random(m) < 0.08, rng.choice(COMPLEMENTS, m), "")

    weight = rng.lognormal(0.0, 0.8, m) * np.where(is_head, 2.5, 1.0)
    weight[pseudo] = 0.0

    # --- regions and history --------------------------------------------------------------------
    region_zone = dict(zip(ref.departements.region.tolist(), ref.departements.zone.tolist(), strict=False))
    regions = np.array(sorted(region_zone))
    dep_region = dict(zip(ref.departements.code.tolist(), ref.departements.region.tolist(), strict=True))
    dep_zone = dict(zip(ref.departements.code.tolist(), ref.departements.zone.tolist(), strict=True))
    region_idx = np.searchsorted(regions, np.array([dep_region[d] for d in head_dep.tolist()]))
    zone = np.array([dep_zone[d] for d in head_dep.tolist()])

    wage = (
        np.array([SECTIONS[s].wage for s in SECTION_LETTERS[section]])
        * rng.lognormal(0.0, 0.18, n)
        * np.where(regions[region_idx] == "11", 1.18, 1.0)
        * (1.0 + 0.04 * np.log10(np.maximum(base, 1.0)))
    )

    x_level = CLASS_LEVELS[fclass]
    x0 = np.where(existing, rng.normal(x_level, 0.6), rng.normal(x_level - 0.7, 0.5))

    old = existing & ~excluded & (creation < t0_day - 3 * 365) & (rng.random(n) < 0.025)
    lo = np.maximum(creation + 365, np.datetime64("2006-01-01"))
    hi = t0_day - 200
    old &= lo < hi
    past_day = np.full(n, _NAT)
    past_day[old] = _days_between(rng, lo[old], hi)
    past_action = np.where(old, np.where(rng.random(n) < 0.7, "redressement", "sauvegarde"), "")
    fclass[old] = np.maximum(fclass[old], 2)

    companies = Companies(
        siren=sirens,
        creation_day=creation,
        birth_t=birth_t,
        subclass=subclass,
        section=section.astype(np.int8),
        legal=legal,
        excluded=excluded,
        fclass=fclass,
        region=region_idx.astype(np.int16),
        departement=head_dep,
        zone=zone,
        base_size=base,
        growth=growth,
        young_growth=young_growth,
        wage=wage,
        x0=x0,
        head=head_of,
        denomination=denomination,
        sigle=sigle,
        person=person,
        diffusion=diffusion,
        ess=ess,
        mission=mission,
        past_opening_day=past_day,
        past_action=past_action,
    )
    establishments = Establishments(
        company=company_idx,
        siret=siret,
        nic=nic,
        head=is_head,
        pseudo=pseudo,
        creation_day=est_creation,
        closure_day=closure,
        show_creation=rng.random(m) > np.where(est_creation < np.datetime64("1995-01-01"), 0.3, 0.01),
        weight=weight,
        commune=commune,
        commune_code=np.where(abroad, "", ref.communes.code[np.maximum(commune, 0)]),
        postcode=postcodes,
        commune_label=labels,
        departement=est_dep,
        coordinates=coords,
        street_number=number,
        repetition=repetition,
        street_type=street_type,
        street_name=rng.choice(STREET_NAMES, m),
        complement=complement,
        foreign_country=countries,
        foreign_label=country_labels,
        naf=naf_dot,
        nomenclature=nomenclature,
        enseigne=enseigne,
        usual_name=usual,
        diffusion=diffusion[company_idx],
        periods=1 + rng.poisson(0.6, m),
    )
    accounts, est_account = _accounts(rng, companies, establishments, regions, n_active)
    for table in (companies, establishments, accounts):
        _tighten_text(table)
    return Population(companies, establishments, accounts, est_account, regions, region_zone)


def _tighten_text(table: object) -> None:
    """Store each fixed-width text column at its longest value: string concatenations widen numpy
    dtypes (a 14-character siret came out as <U54), which at national scale wastes gigabytes."""
    for name, value in vars(table).items():
        if isinstance(value, dict):
            for key, column in value.items():
                value[key] = _tight(column)
        else:
            setattr(table, name, _tight(value))


def _tight(value: object) -> object:
    if isinstance(value, np.ndarray) and value.dtype.kind == "U" and value.size:
        return value.astype(f"U{max(1, int(np.char.str_len(value).max()))}")
    return value


def _sections_of(ref: Reference, subclass: np.ndarray) -> np.ndarray:
    lookup = dict(zip(ref.naf.code.tolist(), ref.naf.section.tolist(), strict=True))
    return np.array([lookup[c] for c in subclass.tolist()])


def _draw_postcodes(rng: np.random.Generator, ref: Reference, commune: np.ndarray) -> np.ndarray:
    """One of the commune's postcodes (empty for the few communes without any)."""
    lists = ref.communes.postcodes
    counts = np.array([len(p) for p in lists])
    flat = np.array([code for p in lists for code in p] + [""])
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    pick = offsets[commune] + (rng.random(len(commune)) * counts[commune]).astype(np.int64)
    return np.where(counts[commune] > 0, flat[np.minimum(pick, len(flat) - 1)], "")


def _accounts(
    rng: np.random.Generator,
    companies: Companies,
    est: Establishments,
    regions: np.ndarray,
    n_active: np.ndarray,
) -> tuple[Accounts, np.ndarray]:
    """One URSSAF account per employer establishment, or one for the whole company (VLU)."""
    n = len(companies)
    vlu = (n_active >= 3) & (rng.random(n) < 0.35)
    abroad = est.foreign_country != ""
    # Abroad establishments contribute elsewhere; VLU companies file everything under the head office.
    own = ~abroad & (~vlu[est.company] | est.head | est.pseudo)
    owners = np.nonzero(own)[0]
    est_account = np.full(len(est), -1, dtype=np.int64)
    est_account[owners] = np.arange(len(owners))
    vlu_members = ~own & ~abroad
    head_account = est_account[companies.head]
    est_account[vlu_members] = head_account[est.company[vlu_members]]

    company = est.company[owners]
    region_code = regions[companies.region[company]]
    urssaf = np.array([(r + "7")[-3:] if len(r) == 2 else r for r in region_code.tolist()])
    dep = np.where(est.departement[owners] != "", est.departement[owners], companies.departement[company])
    per_account = np.bincount(
        est_account[est_account >= 0], weights=est.weight[est_account >= 0], minlength=len(owners)
    )
    company_weight = np.bincount(est.company, weights=est.weight, minlength=n)
    expected = companies.base_size[company] * per_account / np.maximum(company_weight[company], 1e-9)
    quarterly = (expected < 11) & (rng.random(len(owners)) < 0.5) & ~est.pseudo[owners]
    wage = companies.wage[company]
    rate = np.clip(0.30 + 0.03 * np.log2(wage / 2000.0) + rng.normal(0, 0.02, len(owners)), 0.22, 0.45)
    immat = np.maximum(est.creation_day[owners], np.datetime64("1972-01-01"))
    accounts = Accounts(
        number=identifiers.account_numbers(rng, urssaf),
        establishment=owners,
        company=company,
        urssaf=urssaf,
        departement=dep,
        quarterly=quarterly,
        rate=rate,
        immatriculation=immat,
    )
    return accounts, est_account
