"""A malformed-input corpus built from small valid base files, each mutation also delivered gzipped.

Every case is parsed with `parse_file` and must never raise: the file is either loaded (possibly
with rejected lines, each naming its physical line, a reason code and the column or field at
fault) or refused whole with a one-line `fatal_reason` naming the file. The last test delivers
files that must be refused whole to a warehouse that already holds a valid delivery and checks
that the raw tables do not move.

Fatal or not, as decided from raw-sources.md (section in brackets):

- Fatal (nothing loaded): a missing required column, including the one-column header that a
  wrong separator produces (§2.4); an empty stock file or a stock file with a header and no data
  line (§2.7); undecodable content (§2.2), which covers bytes invalid in both UTF-8 and
  Windows-1252 and a broken gzip stream (unreadable archive).
- Silent on the point, decided here as a demanding operator would want it:
  - a 0-byte file is fatal for flux sources too: without a header nothing says it is the file
    it claims to be, whereas a header-only flux file is a valid empty delivery (§2.7);
  - UTF-16 without a byte-order mark is fatal ("undecodable"), with a reason that says so: its NUL
    bytes are valid UTF-8, so it would otherwise fail as a puzzling "missing required columns";
  - a bare field of an RFC 4180 file that opens a quote it never closes rejects its own line only
    (`wrong_field_count`, the detail naming the field), never the lines after it (§2.3 confines
    stray quotes to their physical line for unquoted files; the same is wanted here);
  - a UTF-16LE file with a BOM where UTF-8 is expected is read: the BOM decides (§2.2).
- Not fatal: truncated lines and stray-quote fragments (`wrong_field_count`), a wrong separator on
  data lines only (every line rejected), non-numeric amounts (`invalid_number`), impossible dates
  in required columns (`invalid_date`), sirets with letters or 13 digits (`invalid_identifier`),
  a 1 MB garbage line (`wrong_field_count`, the detail does not echo it), unknown extra columns
  (warning), duplicated lines (both load, §5.3), Windows-1252 content (`encoding_fallback`
  warning), BOM and CRLF (transparent), impossible dates in optional columns (NULL + warning).
  A stock file whose rejected share exceeds the threshold parses as `loaded` here; holding it
  back is the loader's decision, checked by the warehouse test.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion.landing import scan_landing
from orchestration.ingestion.loader import ingest_source
from orchestration.ingestion.warehouse import connect
from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file

# --- valid base files ---------------------------------------------------------------------------

FILE_NAMES = {
    "debit": "sigfaible_debits.csv",
    "effectif": "sigfaible_effectif_siret.csv",
    "sirene": "StockEtablissement_utf8.csv",
    "apdemande": "demande_ap.csv",
    "procol": "sigfaible_pcoll.csv",
}

DEBIT = [
    "Urssaf_gestion;Dep;num_cpte;Siren;Siret;Dt_immat;Etat_cpte;Cd_pro_col;Periode;Num_Ecn;Num_Hist_Ecn;"
    "Dt_trt_ecn;Mt_PO;Mt_PP;Cd_op_ecn;Motif_ecn;Recours_en_cours",
    "117;75;123456789012345678;123456789;12345678900011;20150708;1;0;202411;101;1;1240115;195907;864497;1;2;0",
    "117;75;123456789012345678;123456789;12345678900011;20150708;1;0;202411;101;2;1240125;3;0;1;2;0",
    "938;27;987654321098765432;987654321;98765432100017;;2;1;201712;201;1;1050824;12000;500;2;3;1",
]
EFFECTIF = [
    "compte;siret;rais_soc;ape_ins;dep;eff202411;eff202412;eff202413;base;UR_EMET",
    "123456789012345678;12345678900011;CAFÉ DES SPORTS;5630Z;75;10;11;12;B;117",
    "223456789012345678;98765432100017;SARL L'ÉTOILE;4711B;69;5;5;;B;117",
    "323456789012345678;00032517500011;BOULANGERIE;1071C;2A;0;1;2;B;117",
]
SIRENE = [
    "siren,nic,siret,dateCreationEtablissement,etablissementSiege,enseigne1Etablissement,"
    "codePostalEtablissement,libelleCommuneEtablissement,codeCommuneEtablissement,dateDebut,"
    "etatAdministratifEtablissement,activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement",
    '956520573,44947,95652057344947,2001-02-03,true,"CAFÉ, BAR DE L\'ÉGLISE",75001,PARIS 1,75101,'
    "2001-02-03,A,56.30Z,NAFRev2",
    "123456789,00016,12345678900016,,false,,69001,LYON,69381,2009-05-27,F,32.12Z,NAFRev2",
    '000325175,00011,00032517500011,1999-12-31,true,"LE ""PETIT"" MARCHÉ",20000,AJACCIO,2A004,'
    "1999-12-31,A,47.11B,NAFRev2",
]
APDEMANDE = [
    '"ID_DA","ETAB_SIRET","EFF_ENT","EFF_ETAB","DATE_STATUT","DATE_DEB","DATE_FIN","HTA","MTA","EFF_AUTO",'
    '"MOTIF_RECOURS_SE","PERIMETRE_AP","S_HEURE_CONSOM_TOT","S_EFF_CONSOM_TOT","S_MONTANT_CONSOM_TOT",'
    '"RECOURS_ANTERIEUR"',
    '"f288626887","15756082097503",559.0,0.0,"2012-02-11","2017-08-09",2017-09-09,42078.52,666113.56,99.0,'
    '"1","2",48512.0,319.0,689663.3,"3"',
    '"0987654321","12345678900011",12,12,"2020-03-20","2020-03-16","2020-06-30",1200.5,"9500,75",12,'
    '"5","1",0,0,0,"2"',
    '"1122334455","98765432100017",3,3,"2021-01-05",2021-01-01,2021-03-31,300,2000,3,1,2,,,,',
]
PROCOL = [
    "Siret;Siren;Dt_effet;Cat_v2;Lib_actx_stdx",
    "01234567891011;012345678;26MAY2014;1;Solde_procedure_redressement",
    "12345678900011;123456789;04OCT2017;2;Plan_continuation_sauvegarde",
    "98765432100017;987654321;31DEC2012;1;Fin_procedure_liquidation",
]
BASES = {"debit": DEBIT, "effectif": EFFECTIF, "sirene": SIRENE, "apdemande": APDEMANDE, "procol": PROCOL}
SEPARATORS = {"debit": ";", "effectif": ";", "sirene": ",", "apdemande": ",", "procol": ";"}

REASON_CODES = {
    "wrong_field_count",
    "invalid_identifier",
    "invalid_date",
    "invalid_period",
    "invalid_number",
    "missing_required_value",
    "invalid_state",
    "empty_period",
}
ONE_MB = 1 << 20


# --- mutations ----------------------------------------------------------------------------------


def set_field(source: str, line: str, column: str, value: str) -> str:
    """Replace one field of an unquoted line (or an unquoted field of a quoted file) by column name."""
    sep = SEPARATORS[source]
    names = [n.strip('"') for n in BASES[source][0].split(sep)]
    fields = line.split(sep)
    fields[names.index(column)] = value
    return sep.join(fields)


def drop_column(source: str, column: str) -> list[str]:
    sep = SEPARATORS[source]
    names = [n.strip('"') for n in BASES[source][0].split(sep)]
    index = names.index(column)
    return [sep.join(f for i, f in enumerate(line.split(sep)) if i != index) for line in BASES[source]]


def base(source: str, **changes: str) -> list[str]:
    """The base lines, with `L<n>=text` replacing physical line n."""
    lines = list(BASES[source])
    for key, text in changes.items():
        lines[int(key[1:]) - 1] = text
    return lines


def encode(
    lines: list[str], *, eol: str = "\n", encoding: str = "utf-8", bom: bytes = b"", final_eol: bool = True
) -> bytes:
    return bom + (eol.join(lines) + (eol if final_eol else "")).encode(encoding)


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    lines: list[str]  # the decoded physical lines (what line numbers refer to)
    content: bytes  # the file as delivered, before the optional gzip
    fatal: str | None = None  # expected fatal_code
    mentions: tuple[str, ...] = ()  # what the fatal reason must name besides the file
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # line -> (code, detail part)
    lines_blank: int = 0
    warnings: dict[str, str] = field(default_factory=dict)  # code -> column it is counted on
    encoding: str | None = None  # expected detected encoding
    check: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None  # on the loaded rows
    gzip_only: bool = False  # content is already the delivered archive

    @property
    def lines_read(self) -> int:
        if self.fatal:
            return 0
        data = [line for line in self.lines[1:] if line.strip(" \t")]
        return len(data)


def case(id: str, source: str, lines: list[str], **kwargs) -> Case:
    framing = {k: kwargs.pop(k) for k in ("eol", "bom", "final_eol") if k in kwargs}
    text_encoding = kwargs.pop("text_encoding", "utf-8")
    content = kwargs.pop("content", None)
    if content is None:
        content = encode(lines, encoding=text_encoding, **framing)
    return Case(id, source, lines, content, **kwargs)


def value_of(column: str, line: int, expected: object) -> Callable[[duckdb.DuckDBPyConnection, str], None]:
    def check(con: duckdb.DuckDBPyConnection, table: str) -> None:
        rows = con.execute(f'select "{column}" from {table} where _line_number = ?', [line]).fetchall()
        assert rows and all(r[0] == expected for r in rows), (column, line, rows, expected)

    return check


def all_checks(*checks: Callable[[duckdb.DuckDBPyConnection, str], None]):
    def check(con: duckdb.DuckDBPyConnection, table: str) -> None:
        for one in checks:
            one(con, table)

    return check


WRONG_COUNT_17 = ("wrong_field_count", "expected 17 fields")
GARBAGE_LINE = "x" * ONE_MB
BIG_ENSEIGNE = "ENSEIGNE, " + "Y" * ONE_MB
UTF16_DEBIT = encode(DEBIT, encoding="utf-16-le")

CASES = [
    # truncated lines
    case(
        "debit-truncated-line",
        "debit",
        base("debit", L3="238;72;636043216536562844;111111"),
        rejected={3: ("wrong_field_count", "expected 17 fields, found 4")},
    ),
    case(
        "effectif-file-cut-mid-last-line",
        "effectif",
        base("effectif", L4="323456789012345678;00032517500011;BOULANG"),
        final_eol=False,
        rejected={4: ("wrong_field_count", "expected 10 fields, found 3")},
    ),
    case(
        "sirene-truncated-line-between-blank-lines",
        "sirene",
        [SIRENE[0], SIRENE[1], "", "123456789,00016,12345678900016,,false", "", SIRENE[3]],
        rejected={4: ("wrong_field_count", "expected 13 fields, found 5")},
        lines_blank=2,
    ),
    # stray quotes
    case(
        "debit-stray-quote-fragment",
        "debit",
        [DEBIT[0], DEBIT[1], '654",', DEBIT[2], DEBIT[3]],
        rejected={3: WRONG_COUNT_17},
        check=value_of("numero_historique", 4, 2),  # the line after the quote is intact
    ),
    case(
        "procol-quote-inside-unquoted-field",
        "procol",
        base("procol", L3='12345678900011;123456789;04OCT2017;2";Plan_continuation_sauvegarde'),
        check=value_of("categorie", 3, '2"'),  # quotes are ordinary characters (§2.3)
    ),
    case(
        "sirene-unbalanced-quote",
        "sirene",
        base(
            "sirene",
            L2='956520573,44947,95652057344947,2001-02-03,true,"CAFÉ DE LA GARE,75001,PARIS 1,'
            "75101,2001-02-03,A,56.30Z,NAFRev2",
        ),
        rejected={2: ("wrong_field_count", "in field 6 (enseigne1Etablissement)")},
        check=value_of("enseigne", 4, 'LE "PETIT" MARCHÉ'),
    ),
    case(
        "apdemande-quote-inside-bare-field",
        "apdemande",
        base("apdemande", L4=APDEMANDE[3].replace('"1122334455"', 'AB"12"34')),
        check=value_of("id_demande", 4, 'AB"12"34'),  # lenient quoting (§2.3)
    ),
    # wrong separator
    case(
        "debit-comma-separated",
        "debit",
        [line.replace(";", ",") for line in DEBIT],
        fatal="missing_required_column",
        mentions=("Siret", "Mt_PO", "line 1"),
    ),
    case(
        "sirene-semicolon-separated",
        "sirene",
        [SIRENE[0].replace(",", ";"), SIRENE[2].replace(",", ";")],
        fatal="missing_required_column",
        mentions=("siren", "nic"),
    ),
    case(
        "procol-tab-separated-data-lines",
        "procol",
        [PROCOL[0]] + [line.replace(";", "\t") for line in PROCOL[1:]],
        rejected={n: ("wrong_field_count", "expected 5 fields, found 1") for n in (2, 3, 4)},
    ),
    # wrong encodings
    case(
        "sirene-windows-1252",
        "sirene",
        SIRENE,
        text_encoding="cp1252",
        warnings={"encoding_fallback": "(fichier)"},
        encoding="windows-1252",
        check=value_of("enseigne", 2, "CAFÉ, BAR DE L'ÉGLISE"),
    ),
    case(
        "effectif-latin-1",
        "effectif",
        EFFECTIF,
        text_encoding="latin-1",
        warnings={"encoding_fallback": "(fichier)"},
        encoding="windows-1252",
        check=value_of("numero_compte", 2, "123456789012345678"),
    ),
    case(
        "debit-utf16-without-bom",
        "debit",
        DEBIT,
        content=UTF16_DEBIT,
        fatal="undecodable",
        mentions=("UTF-16",),
    ),
    case(
        "sirene-utf16-with-bom",
        "sirene",
        SIRENE,
        content=encode(SIRENE, encoding="utf-16-le", bom=b"\xff\xfe", eol="\r\n"),
        encoding="utf-16le",
        check=value_of("enseigne", 4, 'LE "PETIT" MARCHÉ'),
    ),
    case(
        "procol-undecodable-bytes",
        "procol",
        PROCOL,
        content=encode(PROCOL).replace(b"Fin_procedure", b"Fin\xc3\x81\x81procedure"),
        fatal="undecodable",
        mentions=("undecodable",),
    ),
    # missing required columns
    case(
        "debit-missing-mt-po",
        "debit",
        drop_column("debit", "Mt_PO"),
        fatal="missing_required_column",
        mentions=("Mt_PO",),
    ),
    case(
        "apdemande-missing-etab-siret",
        "apdemande",
        drop_column("apdemande", "ETAB_SIRET"),
        fatal="missing_required_column",
        mentions=("ETAB_SIRET",),
    ),
    case(
        "effectif-missing-month-columns",
        "effectif",
        [
            ";".join(f for f in line.split(";") if not f.startswith("eff"))
            if i == 0
            else ";".join(line.split(";")[:5] + line.split(";")[8:])
            for i, line in enumerate(EFFECTIF)
        ],
        fatal="missing_required_column",
        mentions=("eff",),
    ),
    # extra unknown columns
    case(
        "procol-extra-columns",
        "procol",
        [
            "Siret;Commentaire;Siren;Dt_effet;Cat_v2;Lib_actx_stdx;Tribunal",
            "01234567891011;x;012345678;26MAY2014;1;Solde_procedure_redressement;TC PARIS",
            "12345678900011;;123456789;04OCT2017;2;Plan_continuation_sauvegarde;",
        ],
        warnings={"unknown_column": "Tribunal"},
        check=value_of("action_procol", 2, "redressement"),
    ),
    case(
        "sirene-extra-column",
        "sirene",
        [SIRENE[0] + ",colonneFuture2027"] + [line + ",valeur" for line in SIRENE[1:]],
        warnings={"unknown_column": "colonneFuture2027"},
    ),
    # empty and header-only files
    case("debit-empty-file", "debit", [], content=b"", fatal="empty_file"),
    case("effectif-empty-file", "effectif", [], content=b"", fatal="empty_file"),
    case("debit-header-only", "debit", [DEBIT[0]]),  # a valid empty flux delivery (§2.7)
    case("procol-header-and-blank-lines", "procol", [PROCOL[0], "", "  "], lines_blank=2),
    case("sirene-header-only", "sirene", [SIRENE[0]], fatal="empty_stock", mentions=("stock",)),
    case("apdemande-header-only", "apdemande", [APDEMANDE[0], ""], fatal="empty_stock", mentions=("stock",)),
    # duplicated lines: both load (§5.3)
    case("debit-duplicated-line", "debit", [*DEBIT, DEBIT[1]]),
    case("effectif-duplicated-line", "effectif", [*EFFECTIF, EFFECTIF[2]]),
    # non-numeric amounts
    case(
        "debit-non-numeric-amount",
        "debit",
        base("debit", L3=set_field("debit", DEBIT[2], "Mt_PO", "12a4")),
        rejected={3: ("invalid_number", "column Mt_PO: '12a4'")},
    ),
    case(
        "apdemande-non-numeric-amount",
        "apdemande",
        base("apdemande", L4=set_field("apdemande", APDEMANDE[3], "MTA", "deux mille")),
        rejected={4: ("invalid_number", "column MTA: 'deux mille'")},
    ),
    # impossible dates
    case(
        "debit-impossible-date",
        "debit",
        base("debit", L2=set_field("debit", DEBIT[1], "Dt_trt_ecn", "1230231")),
        rejected={2: ("invalid_date", "column Dt_trt_ecn: '1230231'")},
    ),
    case(
        "debit-impossible-optional-date",
        "debit",
        base("debit", L2=set_field("debit", DEBIT[1], "Dt_immat", "20230231")),
        warnings={"invalid_optional_value": "Dt_immat"},
        check=value_of("date_immatriculation", 2, None),
    ),
    case(
        "apdemande-impossible-date",
        "apdemande",
        base("apdemande", L4=set_field("apdemande", APDEMANDE[3], "DATE_DEB", "2023-02-31")),
        rejected={4: ("invalid_date", "column DATE_DEB: '2023-02-31'")},
    ),
    case(
        "procol-impossible-date",
        "procol",
        base("procol", L3=set_field("procol", PROCOL[2], "Dt_effet", "31FEB2023")),
        rejected={3: ("invalid_date", "column Dt_effet: '31FEB2023'")},
    ),
    # invalid sirets
    case(
        "debit-siret-with-letters",
        "debit",
        base("debit", L4=set_field("debit", DEBIT[3], "Siret", "9876543210001A")),
        rejected={4: ("invalid_identifier", "column Siret: '9876543210001A'")},
    ),
    case(
        "effectif-siret-with-letters",
        "effectif",
        base("effectif", L2=set_field("effectif", EFFECTIF[1], "siret", "1234567890001X")),
        rejected={2: ("invalid_identifier", "column siret: '1234567890001X'")},
    ),
    case(
        "procol-siret-13-digits",
        "procol",
        base("procol", L2=set_field("procol", PROCOL[1], "Siret", "0123456789101")),
        rejected={2: ("invalid_identifier", "column Siret: '0123456789101'")},
    ),
    case(
        "apdemande-siret-13-digits",
        "apdemande",
        base("apdemande", L3=APDEMANDE[2].replace('"12345678900011"', '"1234567890001"')),
        rejected={3: ("invalid_identifier", "column ETAB_SIRET: '1234567890001'")},
    ),
    # 1 MB lines
    case(
        "debit-1mb-garbage-line",
        "debit",
        [DEBIT[0], DEBIT[1], GARBAGE_LINE, DEBIT[2], DEBIT[3]],
        rejected={3: ("wrong_field_count", "expected 17 fields, found 1")},
    ),
    case(
        "sirene-1mb-quoted-field",
        "sirene",
        base("sirene", L3=SIRENE[2].replace("false,,", f'false,"{BIG_ENSEIGNE}",')),
        check=value_of("enseigne", 3, BIG_ENSEIGNE),
    ),
    # byte-order mark and line endings
    case(
        "debit-utf8-bom",
        "debit",
        DEBIT,
        bom=b"\xef\xbb\xbf",
        encoding="utf-8",
        check=value_of("numero_compte", 2, "123456789012345678"),
    ),
    case(
        "sirene-utf8-bom-crlf",
        "sirene",
        SIRENE,
        bom=b"\xef\xbb\xbf",
        eol="\r\n",
        check=all_checks(value_of("siren", 2, "956520573"), value_of("code_ape", 4, "4711B")),
    ),
    case(
        "debit-crlf",
        "debit",
        DEBIT,
        eol="\r\n",
        check=all_checks(value_of("recours_en_cours", 4, True), value_of("recours_en_cours", 2, False)),
    ),
    case(
        "apdemande-crlf-blank-lines-and-bad-line",
        "apdemande",
        [APDEMANDE[0], "", APDEMANDE[1], "", APDEMANDE[2].replace('"5"', '"cinq"'), APDEMANDE[3], ""],
        eol="\r\n",
        lines_blank=3,
        rejected={5: ("invalid_number", "column MOTIF_RECOURS_SE: 'cinq'")},
        check=value_of("montant_autorise", 6, 2000),
    ),
    case(
        "procol-mixed-line-endings",
        "procol",
        PROCOL,
        content=b"\r\n".join(line.encode() for line in PROCOL[:3]) + b"\n" + PROCOL[3].encode() + b"\r\n",
        check=value_of("stade_procol", 4, "fin_procedure"),
    ),
    case(
        "procol-lone-carriage-return-inside-a-line",
        "procol",
        PROCOL,
        content=encode(PROCOL).replace(b"Plan_continuation", b"Plan\rcontinuation"),
        fatal="unreadable",
        mentions=("carriage return",),
    ),
]

ARCHIVE_CASES = [
    case(
        "debit-truncated-gzip-stream",
        "debit",
        [],
        content=gzip.compress(encode(DEBIT * 50), mtime=0)[:-40],
        fatal="unreadable_archive",
        gzip_only=True,
    ),
    case(
        "procol-gz-name-but-plain-text",
        "procol",
        [],
        content=encode(PROCOL),
        fatal="unreadable_archive",
        gzip_only=True,
    ),
]


def _params():
    for one in CASES:
        yield pytest.param(one, False, id=one.id)
        yield pytest.param(one, True, id=one.id + ".gz")
    for one in ARCHIVE_CASES:
        yield pytest.param(one, True, id=one.id + ".gz")


def deliver(directory: Path, one: Case, gzipped: bool) -> Path:
    name = FILE_NAMES[one.source] + (".gz" if gzipped else "")
    path = directory / name
    if gzipped and not one.gzip_only:
        path.write_bytes(gzip.compress(one.content, mtime=0))
    else:
        path.write_bytes(one.content)
    return path


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25 and len(list(_params())) >= 50


@pytest.mark.parametrize(("one", "gzipped"), list(_params()))
def test_malformed_file(tmp_path, con, one: Case, gzipped: bool):
    path = deliver(tmp_path, one, gzipped)
    result = parse_file(con, get_contract(one.source), path)  # must never raise
    report = result.report

    if one.fatal:
        reason = report.fatal_reason or ""
        assert (report.status, report.fatal_code) == ("fatal", one.fatal), report.to_json()[:2000]
        assert reason.startswith(path.name + ":"), reason
        assert "\n" not in reason and "\r" not in reason and len(reason) < 400, reason
        for word in one.mentions:
            assert word in reason, (word, reason)
        assert (report.lines_read, report.lines_loaded, report.lines_rejected) == (0, 0, 0)
        assert report.rejections == [] and result.loaded is None
        return

    assert (report.status, report.fatal_reason) == ("loaded", None), report.to_json()[:2000]
    assert report.lines_read == one.lines_read
    assert report.lines_read == report.lines_loaded + report.lines_rejected
    assert report.lines_blank == one.lines_blank
    if one.encoding:
        assert report.encoding == one.encoding
    for code, column in one.warnings.items():
        assert report.warnings_by_column.get(code, {}).get(column, 0) >= 1, (code, report.warnings_by_column)

    # every rejection: physical line number, a known reason code, a short detail naming the fault
    assert {r["line_number"]: r["reason_code"] for r in report.rejections} == {
        n: code for n, (code, _) in one.rejected.items()
    }
    for rejection in report.rejections:
        code, fragment = one.rejected[rejection["line_number"]]
        assert rejection["reason_code"] in REASON_CODES
        detail = rejection["detail"]
        assert fragment in detail and len(detail) < 400, detail
        assert detail.startswith("column ") or "field" in detail, detail
    quarantined = con.sql(f"select line_number, raw_line from {result.rejected} order by 1").fetchall()
    assert [(n, line) for n, line in quarantined] == [(n, one.lines[n - 1]) for n in sorted(one.rejected)]

    # the loaded rows come from the other data lines, with their physical line numbers
    loaded_lines = {r[0] for r in con.sql(f"select distinct _line_number from {result.loaded}").fetchall()}
    data_lines = {n for n, line in enumerate(one.lines, start=1) if n > 1 and line.strip(" \t")}
    assert loaded_lines == data_lines - set(one.rejected)
    if one.check:
        one.check(con, result.loaded)


# --- warehouse level ----------------------------------------------------------------------------


def _table_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    rows = con.sql(f"select t::varchar from {table} t order by 1").fetchall()
    return len(rows), hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()


def _write(landing: Path, batch: str, name: str, content: bytes) -> None:
    path = landing / batch / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_files_refused_whole_leave_the_warehouse_unchanged(tmp_path):
    """A valid debit (flux) and effectif (stock) delivery, then batches of files refused whole.

    Fatal files are archived and recorded in raw.files (status `fatal`, not applied, the reason in
    the report) and put nothing anywhere else; the stock file over the rejection threshold is
    `held_back`: its rows go to the held-back table and its rejected lines to the quarantine, and
    the current state is untouched. A header-only flux file is a valid empty delivery (`loaded`,
    0 line). Afterwards a valid batch still applies normally.
    """
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    debit_name, effectif_name = FILE_NAMES["debit"], FILE_NAMES["effectif"]
    _write(landing, "2401", debit_name, encode(DEBIT))
    _write(landing, "2401", effectif_name, encode(EFFECTIF))
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        debit, effectif = get_contract("debit"), get_contract("effectif")
        for contract in (debit, effectif):
            result = ingest_source(con, contract, scan_landing(landing), archive)
            assert [o.status for o in result.outcomes] == ["loaded"]
        tables = ["raw.debit", "raw.effectif", "raw.effectif__held_back", "raw.quarantine"]
        before = {t: _table_fingerprint(con, t) for t in tables}
        assert before["raw.debit"][0] == 3 and before["raw.effectif"][0] == 8

        gz = debit_name + ".gz"
        refused_debit = {
            "2402": (debit_name, b"", "fatal", "empty_file"),
            "2403": (
                gz,
                gzip.compress(encode(drop_column("debit", "Num_Ecn"))),
                "fatal",
                "missing_required_column",
            ),
            "2404": (
                debit_name,
                encode([line.replace(";", ",") for line in DEBIT]),
                "fatal",
                "missing_required_column",
            ),
            "2405": (debit_name, UTF16_DEBIT, "fatal", "undecodable"),
            "2406": (debit_name, encode([DEBIT[0]]), "loaded", None),  # a valid empty flux delivery
        }
        over_threshold = base("effectif", L3=set_field("effectif", EFFECTIF[2], "siret", "98765432I00017"))
        refused_effectif = {
            "2402": (effectif_name, b"", "fatal", "empty_file"),
            "2403": (effectif_name, encode([EFFECTIF[0]]), "fatal", "empty_stock"),
            "2404": (
                effectif_name,
                encode([x.replace(";", "\t") for x in EFFECTIF]),
                "fatal",
                "missing_required_column",
            ),
            "2405": (
                effectif_name,
                encode(drop_column("effectif", "siret")),
                "fatal",
                "missing_required_column",
            ),
            "2406": (effectif_name, encode(over_threshold), "held_back", None),
        }
        for refused in (refused_debit, refused_effectif):
            for batch, (name, content, _, _) in refused.items():
                _write(landing, batch, name, content)

        for contract, expected in ((debit, refused_debit), (effectif, refused_effectif)):
            result = ingest_source(con, contract, scan_landing(landing), archive)
            new = {o.batch_key: o for o in result.outcomes if o.status != "skipped"}
            assert {b: o.status for b, o in new.items()} == {b: e[2] for b, e in expected.items()}
            for batch, (_, _, status, code) in expected.items():
                report = new[batch].report
                assert report.fatal_code == code
                if status == "fatal":
                    assert report.fatal_reason.startswith(new[batch].file_name + ":")

        after = {t: _table_fingerprint(con, t) for t in tables}
        assert after["raw.debit"] == before["raw.debit"]
        assert after["raw.effectif"] == before["raw.effectif"]
        # only the held-back stock file leaves rows for inspection and quarantined lines
        held = con.sql("select _batch_key, count(*) from raw.effectif__held_back group by 1").fetchall()
        assert held == [("2406", 6)]  # lines 2 and 4 of the held-back file, 3 months each
        quarantine = con.sql(
            "select source, batch_key, file, line_number, reason_code, detail from raw.quarantine"
        ).fetchall()
        assert quarantine == [
            (
                "effectif",
                "2406",
                effectif_name,
                3,
                "invalid_identifier",
                "column siret: '98765432I00017' is not 14 digits",
            )
        ]
        files = con.sql(
            """select source, batch_key, status, applied, lines_read, report ->> '$.fatal_code',
                      archive_path is not null
               from raw.files order by source, batch_key"""
        ).fetchall()
        assert files == [
            ("debit", "2401", "loaded", True, 3, None, True),
            ("debit", "2402", "fatal", False, 0, "empty_file", True),
            ("debit", "2403", "fatal", False, 0, "missing_required_column", True),
            ("debit", "2404", "fatal", False, 0, "missing_required_column", True),
            ("debit", "2405", "fatal", False, 0, "undecodable", True),
            ("debit", "2406", "loaded", True, 0, None, True),
            ("effectif", "2401", "loaded", True, 3, None, True),
            ("effectif", "2402", "fatal", False, 0, "empty_file", True),
            ("effectif", "2403", "fatal", False, 0, "empty_stock", True),
            ("effectif", "2404", "fatal", False, 0, "missing_required_column", True),
            ("effectif", "2405", "fatal", False, 0, "missing_required_column", True),
            ("effectif", "2406", "held_back", False, 3, None, True),
        ]

        # the refusals do not block what follows: a valid batch applies on top of the 2401 state
        _write(
            landing, "2407", effectif_name, encode(base("effectif", L2=EFFECTIF[1].replace(";12;", ";13;")))
        )
        result = ingest_source(con, effectif, scan_landing(landing), archive)
        assert [o.status for o in result.outcomes if o.status != "skipped"] == ["loaded"]
        current = con.sql(
            "select effectif from raw.effectif where _valid_to_batch is null and siret = '12345678900011' "
            "order by periode"
        ).fetchall()
        assert current == [(10,), (11,), (13,)]
    finally:
        con.close()
