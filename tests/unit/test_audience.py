"""A seller brings the customers of last night's live show: whatever export they have, every
reachable buyer becomes one contact in the show's audience, and nothing else changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.audience import ANALYZE_AFTER, TIKTOK_MASKED, ImportReport, import_audience
from bot.db import make_engine, upgrade
from bot.errors import AudienceError
from bot.models import AudienceMember, Contact

DATA = Path(__file__).resolve().parents[1] / "data" / "audience"
NOW = datetime(2026, 2, 21, 9, 30, tzinfo=UTC)
TAG = "live-2026-02-20"


@pytest.fixture
def session(database_url: str):
    """A real, migrated database: a SQLite file in tmp_path (conftest's `database_url`)."""
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def run(session: Session, path: Path, tag: str = TAG, **kw) -> ImportReport:
    report = import_audience(session, path, tag, NOW, **kw)
    session.commit()
    return report


def contacts(session: Session) -> dict[str, Contact]:
    return {c.address: c for c in session.exec(select(Contact))}


def audience(session: Session, tag: str = TAG) -> dict[str, str | None]:
    rows = session.exec(
        select(Contact.address, AudienceMember.source)
        .join(AudienceMember, AudienceMember.contact_id == Contact.id)
        .where(AudienceMember.tag == tag)
    )
    return dict(rows.all())


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(session: Session) -> list[tuple]:
    session.expire_all()
    people = [tuple(c.model_dump().values()) for c in session.exec(select(Contact))]
    members = [tuple(m.model_dump().values()) for m in session.exec(select(AudienceMember))]
    return sorted(people, key=str) + sorted(members, key=str)


# -- a plain list ---------------------------------------------------------------------------


def test_a_plain_list_becomes_the_show_audience(session: Session) -> None:
    report = run(session, DATA / "plain.csv")

    assert report.format == "plain"
    assert (report.rows, report.added, report.updated, report.already) == (6, 4, 0, 0)
    people = contacts(session)
    mei = people["+85291234567"]
    assert (mei.name, mei.locale, mei.country, mei.email) == (
        "Mei Lin",
        "zh-HK",
        "HK",
        "mei@example.com",
    )
    assert (mei.consent, mei.consent_source) == (True, "import:plain")
    assert mei.created_at is not None and mei.created_at.replace(tzinfo=UTC) == NOW
    assert mei.timezone == "Asia/Hong_Kong"  # from the phone: the file has no time zone
    assert set(audience(session)) == set(people)
    assert set(audience(session).values()) == {"plain"}


def test_a_local_number_is_read_with_the_row_country(session: Session) -> None:
    run(session, DATA / "plain.csv")

    jonas = contacts(session)["+4915112345678"]  # written "0151 12345678", country DE
    assert (jonas.country, jonas.timezone, jonas.locale, jonas.consent) == (
        "DE",
        "Europe/Berlin",
        "de",
        True,
    )
    # "5511987654321" lost its "+" in a spreadsheet; the country name says Brazil.
    ana = contacts(session)["+5511987654321"]
    assert (ana.country, ana.timezone, ana.locale) == ("BR", "America/Sao_Paulo", "pt-BR")


def test_country_comes_from_the_phone_when_the_file_has_none(session: Session) -> None:
    run(session, DATA / "plain.csv")

    sofia = contacts(session)["+393123456789"]
    assert (sofia.country, sofia.timezone) == ("IT", "Europe/Rome")
    assert sofia.consent is False and sofia.consent_source is None  # said "no"


def test_rows_without_a_usable_phone_are_reported_with_line_and_reason(
    session: Session,
) -> None:
    report = run(session, DATA / "plain.csv")

    assert report.rejected == [(6, "no phone number"), (7, "invalid phone number '12345'")]
    assert "walkin@example.com" not in {c.email for c in contacts(session).values()}


def test_a_national_number_without_any_country_says_what_is_missing(
    session: Session, tmp_path: Path
) -> None:
    path = write(tmp_path, "name,phone\nJo,(415) 555-0132\n")

    report = run(session, path)

    assert report.rejected == [
        (2, "invalid phone number '(415) 555-0132' (no country code, and no country to read it by)")
    ]


def test_consent_words_sellers_use_and_a_time_zone_column(session: Session, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Customer Name,WhatsApp,Opt-in,Time Zone,Language\n"
        "Ana,+5511987654321,Sí,America/Manaus,pt_br\n"
        "Bo,+61412345678,,Mars/Olympus,\n"
        "Cy,+33612345678,oui,,FR\n",
    )

    run(session, path)

    people = contacts(session)
    assert people["+5511987654321"].consent and people["+33612345678"].consent
    assert not people["+61412345678"].consent
    assert people["+5511987654321"].timezone == "America/Manaus"
    assert people["+5511987654321"].locale == "pt-BR"
    assert people["+61412345678"].timezone == "Australia/Sydney"  # not a zone: from the phone


# -- Shopify --------------------------------------------------------------------------------


def test_shopify_orders_give_one_contact_per_customer_phone(session: Session) -> None:
    report = run(session, DATA / "shopify_orders.csv")

    assert report.format == "shopify"
    assert report.rows == 10  # line items (one order has a note on two lines)
    # #1001 and #1003 are the same buyer; #1005 has no phone, #1006 a broken one.
    assert (report.added, report.updated, report.already) == (3, 0, 0)
    assert set(contacts(session)) == {"+14155550132", "+4915123456789", "+34612345678"}
    assert set(audience(session).values()) == {"shopify"}


def test_shopify_phone_from_shipping_then_billing_when_phone_is_empty(
    session: Session,
) -> None:
    run(session, DATA / "shopify_orders.csv")
    people = contacts(session)

    lena = people["+4915123456789"]  # Phone empty, Shipping Phone "0151 23456789", DE
    assert (lena.name, lena.country, lena.timezone, lena.email) == (
        "Lena Müller",
        "DE",
        "Europe/Berlin",
        "lena@example.de",
    )
    pablo = people["+34612345678"]  # only a Billing Phone
    assert (pablo.name, pablo.country, pablo.timezone) == ("Pablo García", "ES", "Europe/Madrid")


def test_shopify_accepts_marketing_is_email_consent_not_whatsapp_consent(
    session: Session,
) -> None:
    report = run(session, DATA / "shopify_orders.csv")
    people = contacts(session)

    # Ava ticked "Accepts Marketing" (e-mail): that is no WhatsApp opt-in.
    assert people["+14155550132"].consent is False
    assert people["+14155550132"].consent_source is None
    assert report.without_consent == len(people)


def test_the_operator_names_the_consent_column_or_vouches_for_the_file(
    session: Session, tmp_path: Path
) -> None:
    run(session, DATA / "shopify_orders.csv", consent_column="Accepts Marketing")
    people = contacts(session)
    assert people["+14155550132"].consent is True
    assert people["+14155550132"].consent_source == "import:shopify:accepts marketing"
    assert people["+4915123456789"].consent is False

    path = write(tmp_path, "name,phone\nMia,+4915199887766\n", "list.csv")
    report = run(session, path, tag="vouched", assume_consent=True)
    mia = contacts(session)["+4915199887766"]
    assert mia.consent is True and mia.consent_source == "import:operator"
    assert report.without_consent == 0


def test_a_named_consent_column_that_is_not_there_is_refused(
    session: Session, tmp_path: Path
) -> None:
    path = write(tmp_path, "name,phone\nMia,+4915199887766\n", "list.csv")
    with pytest.raises(AudienceError, match="no column 'WhatsApp OK'"):
        run(session, path, consent_column="WhatsApp OK")


def test_shopify_rejections_point_at_the_order_first_line(session: Session) -> None:
    report = run(session, DATA / "shopify_orders.csv")

    assert report.rejected == [(10, "no phone number"), (12, "invalid phone number '12345'")]


def test_newer_shopify_exports_with_sms_marketing(session: Session, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Name,Email,Accepts Email Marketing,Accepts SMS Marketing,Lineitem name,"
        "Billing Name,Billing Country,Billing Phone,Shipping Name,Shipping Country,"
        "Shipping Phone,Phone\n"
        "#2001,a@example.com,yes,no,Serum,Al,FR,,Al,FR,,+33612345678\n"
        "#2002,b@example.com,no,yes,Serum,Bea,US,,Bea,US,,+14155550199\n"
        "#2002,,,,Roller,,,,,,,\n",
    )

    report = run(session, path)

    people = contacts(session)
    assert report.format == "shopify" and report.rows == 3
    assert people["+33612345678"].consent is False  # email marketing is not WhatsApp
    assert people["+14155550199"].consent is True


def test_line_items_of_an_order_further_down_are_not_rejected(
    session: Session, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "Name,Accepts Marketing,Lineitem name,Shipping Name,Shipping Country,"
        "Shipping Phone,Phone\n"
        "#3001,yes,Serum,Al,FR,,+33612345678\n"
        "#3002,no,Serum,Bea,US,,+14155550199\n"
        "#3001,,Roller,,,,\n",
    )

    report = run(session, path)

    assert (report.rows, report.added, report.rejected) == (3, 2, [])


# -- TikTok Shop ----------------------------------------------------------------------------


def test_tiktok_orders_and_masked_phones(session: Session) -> None:
    report = run(session, DATA / "tiktok_orders.csv")

    assert report.format == "tiktok"
    assert report.rows == 4  # the row of column descriptions is not an order
    assert (report.added, report.updated, report.already) == (2, 0, 0)
    assert report.rejected == [(5, TIKTOK_MASKED)]
    people = contacts(session)
    carlos = people["+13055550147"]
    assert (carlos.name, carlos.country, carlos.timezone) == (
        "Carlos Mendoza",
        "US",
        "America/New_York",
    )
    assert people["+447400123456"].country == "GB"  # "United Kingdom"
    assert not any(c.consent for c in people.values())  # TikTok records no opt-in


# -- re-importing, existing contacts --------------------------------------------------------


@pytest.mark.parametrize("name", ["plain.csv", "shopify_orders.csv", "tiktok_orders.csv"])
def test_importing_the_same_file_again_changes_nothing(session: Session, name: str) -> None:
    first = run(session, DATA / name)
    before = snapshot(session)

    again = run(session, DATA / name)

    assert (again.added, again.updated) == (0, 0)
    assert again.already == first.added
    assert again.rejected == first.rejected and again.rows == first.rows
    assert snapshot(session) == before


def test_existing_contacts_only_gain_what_they_lack(session: Session, tmp_path: Path) -> None:
    session.add(
        Contact(
            channel="whatsapp",
            address="+85291234567",
            name="Mei (VIP)",
            consent=True,
            consent_source="whatsapp:opt-in",
        )
    )
    session.add(
        Contact(channel="whatsapp", address="+4915112345678", name="Jonas", opted_out_at=NOW)
    )
    session.commit()

    report = run(session, DATA / "plain.csv")

    people = contacts(session)
    mei = people["+85291234567"]
    assert (mei.name, mei.email, mei.country) == ("Mei (VIP)", "mei@example.com", "HK")
    assert mei.consent_source == "whatsapp:opt-in"
    jonas = people["+4915112345678"]
    assert jonas.consent is False  # the file says "ja", but he opted out: he stays out
    assert (report.added, report.updated) == (2, 2)
    assert "+4915112345678" in audience(session)  # the planner will skip him, with a reason


def test_a_file_saying_no_never_withdraws_consent(session: Session, tmp_path: Path) -> None:
    run(session, write(tmp_path, "name,phone,consent\nMei,+85291234567,yes\n"))

    report = run(session, write(tmp_path, "name,phone,consent\nMei,+85291234567,no\n", "b.csv"))

    assert contacts(session)["+85291234567"].consent is True
    assert (report.updated, report.already) == (0, 1)


def test_joining_another_show_is_an_update(session: Session) -> None:
    run(session, DATA / "plain.csv", tag="live-2026-02-13")

    report = run(session, DATA / "plain.csv")

    assert (report.added, report.updated, report.already) == (0, 4, 0)
    assert len(audience(session)) == len(audience(session, "live-2026-02-13")) == 4


def test_a_repeat_customer_further_down_completes_the_same_contact(
    session: Session, tmp_path: Path
) -> None:
    filler = [f"Buyer {i},+1415555{i:04d},," for i in range(600)]  # past the first chunk
    path = write(
        tmp_path,
        "\n".join(
            [
                "name,phone,email,consent",
                "Mei,+85291234567,,",
                *filler,
                "Mei Lin,+852 9123 4567,mei@example.com,yes",
            ]
        ),
    )

    first = run(session, path)
    again = run(session, path)

    mei = contacts(session)["+85291234567"]
    assert (mei.name, mei.email, mei.consent) == ("Mei", "mei@example.com", True)
    assert first.added == 1 + 600 - len(first.rejected)
    assert (again.added, again.updated, again.already) == (0, 0, first.added)


def test_someone_who_asked_to_be_forgotten_is_not_imported(
    session: Session, tmp_path: Path
) -> None:
    session.add(Contact(channel="whatsapp", address="+85291234567", forgotten_at=NOW))
    session.commit()

    report = run(session, write(tmp_path, "name,phone,email\nMei,+85291234567,m@example.com\n"))

    assert report.rejected == [(2, "contact asked to be forgotten")]
    assert contacts(session)["+85291234567"].name is None
    assert audience(session) == {}


# -- files as they come ---------------------------------------------------------------------


def test_excel_csv_with_semicolons_bom_and_cp1252(session: Session, tmp_path: Path) -> None:
    bom = write(
        tmp_path, "\ufeffName;Phone;Country\r\nJosé;0151 12345678;Deutschland\r\n", "bom.csv"
    )
    latin = write(
        tmp_path,
        "Name;Mobile;Country\r\nJürgen Groß;+49 151 23456789;DE\r\n",
        "latin.csv",
        encoding="cp1252",
    )
    tabs = write(tmp_path, "sep=\t\nname\tphone\nZoë\t+33612345678\n", "tabs.csv")

    assert run(session, bom).added == 1
    assert run(session, latin).added == 1
    report = run(session, tabs)

    assert report.added == 1 and report.rejected == []
    people = contacts(session)
    assert (people["+4915112345678"].name, people["+4915112345678"].country) == ("José", "DE")
    assert people["+4915123456789"].name == "Jürgen Groß"
    assert people["+33612345678"].name == "Zoë"


def test_progress_is_reported_every_500_rows(session: Session, tmp_path: Path) -> None:
    lines = ["name,phone"] + [f"Buyer {i},+1415555{i:04d}" for i in range(1200)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    seen: list[int] = []

    report = run(session, path, progress=seen.append)

    assert seen == [500, 1000, 1200]
    assert report.rows == 1200
    assert report.added + len(report.rejected) == 1200
    assert len(audience(session)) == report.added


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"Order,Total,Product\n#1,10,Serum\n", "columns found: order, total, product"),
    ],
)
def test_an_unreadable_file_says_which_and_why(
    session: Session, tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "audience.csv"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(AudienceError) as caught:
        import_audience(session, path, TAG, NOW)

    assert str(path) in str(caught.value) and problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_large_import_leaves_postgresql_statistics_that_describe_it(
    session: Session, tmp_path: Path
) -> None:
    """The campaign that follows an import is planned with the new rows counted, not with
    the statistics of an empty table (autovacuum would get there, later)."""
    if session.connection().dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    session.rollback()
    csv = tmp_path / "big.csv"
    csv.write_text(
        "phone,country\n" + "".join(f"+1212555{n:04d},US\n" for n in range(ANALYZE_AFTER)),
        encoding="utf-8",
    )
    report = run(session, csv)

    assert report.added == ANALYZE_AFTER
    counted = session.execute(
        text(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE relname IN ('contact', 'audiencemember') ORDER BY relname"
        )
    ).all()
    assert [(name, int(rows)) for name, rows in counted] == [
        ("audiencemember", ANALYZE_AFTER),
        ("contact", ANALYZE_AFTER),
    ]
