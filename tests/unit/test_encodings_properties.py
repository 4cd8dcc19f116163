"""Property tests: the date and period decoders (raw-sources §3) in SQL and in Python agree, and the
encoders used by the synthetic economy round-trip."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.sources import encodings
from orchestration.sources.sql_functions import install_macros

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
digits = st.text(alphabet="0123456789", min_size=0, max_size=9)


@pytest.fixture(scope="module")
def sql():
    con = duckdb.connect()
    install_macros(con)

    def run(expression: str, value: object):
        params = value if isinstance(value, list) else [value]
        return con.execute(f"select {expression}", params).fetchall()[0]

    yield run
    con.close()


@given(st.dates(min_value=dt.date(1910, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_aammjj_round_trip(day):
    # 6 or 7 digits only: the encoding covers 1910-01-01 (100101) onwards
    assert encodings.decode_aammjj(encodings.encode_aammjj(day)) == day


@settings(max_examples=300)
@given(digits)
def test_aammjj_sql_matches_python(sql, value):
    assert sql("sf_date_aammjj(?)", value)[0] == encodings.decode_aammjj(value)


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=4, max_size=4),
        st.text(alphabet="0123456789", min_size=6, max_size=6),
        digits,
    )
)
def test_period_sql_matches_python(sql, value):
    start, end, canonical = sql("sf_period_start($1), sf_period_end($1), sf_period_is_canonical($1)", [value])
    expected = encodings.decode_period(value)
    if expected is None:
        assert start is None and end is None
    else:
        assert (start, end, bool(canonical)) == (expected.start, expected.end, expected.canonical)


@given(days.map(lambda d: d.replace(day=1)), st.sampled_from([1, 3, 12]), st.booleans())
def test_period_encoding_round_trip(month, months, short):
    if months == 3:
        month = month.replace(month=3 * ((month.month - 1) // 3) + 1)
    if months == 12:
        month = month.replace(month=1)
    if short and not 1950 <= month.year <= 2049:
        month = month.replace(year=2000 + month.year % 50)
    decoded = encodings.decode_period(encodings.encode_period(month, months, short=short))
    assert decoded is not None and decoded.canonical
    assert decoded.start == month and decoded.end == encodings.add_months(month, months)


def test_period_examples_of_the_spec():
    table = {
        "201712": ("2017-02-01", "2017-03-01"),
        "201511": ("2015-01-01", "2015-02-01"),
        "201631": ("2016-07-01", "2016-08-01"),
        "201710": ("2017-01-01", "2017-04-01"),
        "201762": ("2017-01-01", "2018-01-01"),
        "1031": ("2010-07-01", "2010-08-01"),
        "1022": ("2010-05-01", "2010-06-01"),
        "0232": ("2002-08-01", "2002-09-01"),
        "199904": ("1999-01-01", "1999-02-01"),
    }
    for code, (start, end) in table.items():
        period = encodings.decode_period(code)
        assert (period.start.isoformat(), period.end.isoformat()) == (start, end), code
    assert not encodings.decode_period("199904").canonical  # never read as April 1999


@given(days, st.booleans())
def test_ddmmmyyyy_sql_matches_python(sql, day, french):
    text = encodings.encode_ddmmmyyyy(day)
    assert sql("sf_date_ddmmmyyyy(?, " + ("true" if french else "false") + ")", text)[0] == day
    assert encodings.decode_ddmmmyyyy(text, allow_french=french) == day


@settings(max_examples=300)
@given(st.text(alphabet="0123456789/", min_size=0, max_size=12))
def test_ddmmyyyy_sql_matches_python(sql, value):
    assert sql("sf_date_ddmmyyyy(?)", value)[0] == encodings.decode_ddmmyyyy(value)


def test_ddmmyyyy_never_guesses_month_day_order():
    assert encodings.decode_ddmmyyyy("01/15/2019") is None
    assert encodings.decode_ddmmyyyy("24/03/2021") == dt.date(2021, 3, 24)


@given(days)
def test_cutoff_on_the_twentieth(day):
    month = encodings.month_after_cutoff(day)
    assert month == (day.replace(day=1) if day.day <= 20 else encodings.add_months(day.replace(day=1), 1))
