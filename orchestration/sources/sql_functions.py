"""DuckDB macros that decode the raw encodings of raw-sources.md §3, in SQL.

Parsers call them on whole columns, so decoding runs inside DuckDB's vectorised engine. Each macro
returns NULL for an invalid value; the parser turns that NULL into a rejection or a warning.
`orchestration.sources.encodings` holds the same rules in plain Python (used by the property tests
to cross-check these macros, and by the synthetic generator to encode values).
"""

from __future__ import annotations

import duckdb

# Month tokens of "DDMMMYYYY" dates, compared without accents or case (§3.4).
_MONTH_TOKENS_EN = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_TOKENS_FR = ["janv", "fevr", "mars", "avr", "mai", "juin", "juil", "aout", "sept", "oct", "nov", "dec"]

_MONTH_TOKEN_CASES = "\n".join(
    f"    when '{token}' then {month}" for month, token in enumerate(_MONTH_TOKENS_EN, start=1)
)
_MONTH_TOKEN_CASES_FR = "\n".join(
    f"    when '{token}' then {month}"
    for month, token in enumerate(_MONTH_TOKENS_FR, start=1)
    if token not in _MONTH_TOKENS_EN
)

MACROS = f"""
-- Identifiers (§2.5)
create or replace temp macro sf_is_pseudo_siret(siret) as substr(siret, 10, 1) in ('5', '6', '7', '9');

-- (A)AAMMJJ: (year - 1900) * 10000 + month * 100 + day (§3.1)
create or replace temp macro sf_date_aammjj(v) as
  case when regexp_full_match(v, '[0-9]{{6,7}}')
       then cast(try_strptime(cast(cast(v as integer) + 19000000 as varchar), '%Y%m%d') as date)
  end;

create or replace temp macro sf_date_yyyymmdd(v) as
  case when regexp_full_match(v, '[0-9]{{8}}') then cast(try_strptime(v, '%Y%m%d') as date) end;

create or replace temp macro sf_date_iso(v) as
  case when regexp_full_match(v, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
       then cast(try_strptime(v, '%Y-%m-%d') as date)
  end;

create or replace temp macro sf_timestamp_iso(v) as
  case when regexp_full_match(v, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}')
       then try_strptime(v, '%Y-%m-%dT%H:%M:%S')
  end;

-- DD/MM/YYYY, strictly day first (§3.5)
create or replace temp macro sf_date_ddmmyyyy(v) as
  case when regexp_full_match(v, '[0-9]{{2}}/[0-9]{{2}}/[0-9]{{4}}')
       then cast(try_strptime(v, '%d/%m/%Y') as date)
  end;

-- DD/MM/YY read as 20YY (old DGEFP files)
create or replace temp macro sf_date_ddmmyy(v) as
  case when regexp_full_match(v, '[0-9]{{2}}/[0-9]{{2}}/[0-9]{{2}}')
       then cast(try_strptime(left(v, 6) || '20' || right(v, 2), '%d/%m/%Y') as date)
  end;

-- DDMMMYYYY month token (§3.4): English tokens, French ones only where allowed
create or replace temp macro sf_month_token(token, allow_french) as
  case lower(rtrim(strip_accents(token), '.'))
{_MONTH_TOKEN_CASES}
    else case when allow_french then
      case lower(rtrim(strip_accents(token), '.'))
{_MONTH_TOKEN_CASES_FR}
      end
    end
  end;

create or replace temp macro sf_date_ddmmmyyyy(v, allow_french) as
  case when regexp_full_match(v, '[0-9]{{1,2}}[^0-9]+[0-9]{{4}}')
       then try_cast(
         printf('%04d-%02d-%02d',
           cast(regexp_extract(v, '([0-9]{{4}})$', 1) as integer),
           sf_month_token(regexp_extract(v, '^[0-9]{{1,2}}([^0-9]+)', 1), allow_french),
           cast(regexp_extract(v, '^([0-9]{{1,2}})', 1) as integer)) as date)
  end;

-- URSSAF periods AAAAXY / AAXY (§3.2); the value is a string, '0232' keeps its zero.
-- Flat expressions on the characters (X = the quarter, Y = the month in the quarter): nested
-- macros would multiply the expression tree DuckDB binds for every file.
create or replace temp macro sf_period_valid(v) as coalesce(regexp_full_match(v, '[0-9]{{4}}|[0-9]{{6}}'), false);
create or replace temp macro sf_period_year(v) as
  case when length(v) = 6 then try_cast(left(v, 4) as integer)
       else try_cast(left(v, 2) as integer) + case when left(v, 2) < '50' then 2000 else 1900 end end;
create or replace temp macro sf_period_is_canonical(v) as
  sf_period_valid(v)
  and (right(v, 2) = '62' or (substr(v, -2, 1) between '1' and '4' and right(v, 1) between '0' and '3'));
-- First month (1-12) of the period, NULL when invalid; 3(X-1)+Y still in 1-12 is accepted (199904)
create or replace temp macro sf_period_first_month(v) as
  case when not sf_period_valid(v) then null
       when right(v, 2) = '62' then 1
       when substr(v, -2, 1) between '1' and '4' and right(v, 1) = '0' then 3 * (ascii(substr(v, -2, 1)) - 48) - 2
       when 3 * (ascii(substr(v, -2, 1)) - 48) - 3 + (ascii(right(v, 1)) - 48) between 1 and 12
         then 3 * (ascii(substr(v, -2, 1)) - 48) - 3 + (ascii(right(v, 1)) - 48)
  end;
create or replace temp macro sf_period_months(v) as
  case when right(v, 2) = '62' then 12
       when substr(v, -2, 1) between '1' and '4' and right(v, 1) = '0' then 3
       else 1 end;
create or replace temp macro sf_period_start(v) as make_date(sf_period_year(v), sf_period_first_month(v), 1);
create or replace temp macro sf_period_end(v) as
  cast(make_date(sf_period_year(v), sf_period_first_month(v), 1) + to_months(sf_period_months(v)) as date);

-- Month in which a URSSAF operation counts: the delivery cut-off is the 20th (§5.3)
create or replace temp macro sf_month_after_cutoff(d) as
  cast(date_trunc('month', d) + case when day(d) <= 20 then interval 0 month else interval 1 month end as date);

-- Sirene département (§4.1): the commune decides, the postcode is the fallback
create or replace temp macro sf_departement(code_commune, code_postal, code_pays) as
  case when code_pays is not null then null
       when code_commune is not null and regexp_full_match(code_commune, '[0-9][0-9AB][0-9]{{3}}')
         then case when left(code_commune, 2) in ('97', '98') then left(code_commune, 3)
                   else left(code_commune, 2) end
       when code_commune is null and regexp_full_match(code_postal, '[0-9]{{5}}')
         then case when left(code_postal, 2) in ('97', '98') then left(code_postal, 3)
                   when left(code_postal, 3) in ('200', '201') then '2A'
                   when left(code_postal, 2) = '20' then '2B'
                   else left(code_postal, 2) end
  end;

-- NAF rév. 2 sub-class without its dot, only for a well-formed NAFRev2 code (§4.1)
create or replace temp macro sf_code_ape(code, nomenclature) as
  case when nomenclature = 'NAFRev2' and regexp_full_match(code, '[0-9]{{2}}\\.[0-9]{{2}}[A-Z]')
       then replace(code, '.', '')
  end;

-- Collective proceedings label: first token naming an action, the rest is the stage (§5.7)
create or replace temp macro sf_procol_action(label) as
  list_filter(string_split(lower(label), '_'),
              lambda t: t in ('liquidation', 'redressement', 'sauvegarde'))[1];
create or replace temp macro sf_procol_stade(label) as
  case when sf_procol_action(label) is null then lower(label)
       else array_to_string(
         list_filter(string_split(lower(label), '_'),
                     lambda t, i: i <> list_position(string_split(lower(label), '_'),
                                                     sf_procol_action(label))),
         '_')
  end;
"""


# Street types of Sirene (§11.3): code -> full word; other values are kept as they are.
STREET_TYPES = {
    "ALL": "ALLEE",
    "AV": "AVENUE",
    "BD": "BOULEVARD",
    "CAR": "CARREFOUR",
    "CHE": "CHEMIN",
    "CHS": "CHAUSSEE",
    "CITE": "CITE",
    "COR": "CORNICHE",
    "CRS": "COURS",
    "DOM": "DOMAINE",
    "DSC": "DESCENTE",
    "ECA": "ECART",
    "ESP": "ESPLANADE",
    "FG": "FAUBOURG",
    "GR": "GRANDE RUE",
    "HAM": "HAMEAU",
    "HLE": "HALLE",
    "IMP": "IMPASSE",
    "LD": "LIEU-DIT",
    "LOT": "LOTISSEMENT",
    "MAR": "MARCHE",
    "MTE": "MONTEE",
    "PASS": "PASSAGE",
    "PL": "PLACE",
    "PLN": "PLAINE",
    "PLT": "PLATEAU",
    "PRO": "PROMENADE",
    "PRV": "PARVIS",
    "QUA": "QUARTIER",
    "QUAI": "QUAI",
    "RES": "RESIDENCE",
    "RLE": "RUELLE",
    "ROC": "ROCADE",
    "RPT": "ROND-POINT",
    "RTE": "ROUTE",
    "RUE": "RUE",
    "SEN": "SENTIER",
    "SQ": "SQUARE",
    "TPL": "TERRE-PLEIN",
    "TRA": "TRAVERSE",
    "VLA": "VILLA",
    "VLGE": "VILLAGE",
}


def _map_macro(name: str, mapping: dict[str, str], fallback: str) -> str:
    """A lookup as a constant MAP (bound once), rather than a CASE with one branch per key."""
    entries = ", ".join(
        f"'{key}': '{value.replace(chr(39), chr(39) * 2)}'" for key, value in sorted(mapping.items())
    )
    return f"create or replace temp macro {name}(v) as coalesce(map {{{entries}}}[v], {fallback})"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or refresh) every decoding macro in this connection."""
    from orchestration.reference.seeds import region_by_departement

    for statement in MACROS.split(";\n"):
        if statement.strip():
            con.execute(statement)
    con.execute(_map_macro("sf_type_voie", STREET_TYPES, "v"))
    con.execute(_map_macro("sf_region", region_by_departement(), "null"))
