"""Reading contact files, without a database: formats detected by headers, rows by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacts.imports import csvfiles, parse, vcards
from contacts.imports.rows import within_file_duplicates

DATA = Path(__file__).resolve().parents[2] / "data" / "imports"


def _read(name: str, *, mapping: dict[str, str] | None = None) -> tuple[parse.Sniffed, parse.Parsed, csvfiles.Decoded]:
    decoded = csvfiles.decode((DATA / name).read_bytes())
    sniffed = parse.sniff(decoded.text)
    parsed = parse.parse(
        decoded.text,
        fmt=sniffed.format,
        column_mapping=mapping if mapping is not None else sniffed.suggested_mapping,
        default_region="US",
    )
    return sniffed, parsed, decoded


def _by_name(parsed: parse.Parsed) -> dict[str, object]:
    return {row.full_name: row for row in parsed.rows}


def test_a_linkedin_export_is_recognised_after_its_notes_lines():
    sniffed, parsed, _ = _read("linkedin_connections.csv")
    assert sniffed.format == "linkedin"
    zoe = _by_name(parsed)["Zoë Müller"]
    assert zoe.line == 5  # the header is on line 4, after LinkedIn's notes
    assert zoe.emails == ("zoe.mueller@beispiel.de",)
    assert zoe.company == "Beispiel GmbH"
    assert zoe.title == "Leiterin Vertrieb"
    assert zoe.linkedin_url == "https://www.linkedin.com/in/zoe-mueller"


def test_a_linkedin_connection_without_an_email_is_kept_by_name():
    _, parsed, _ = _read("linkedin_connections.csv")
    jose = _by_name(parsed)["José García"]
    assert jose.emails == ()
    assert jose.company == "Acme Robotics, Inc."


def test_a_bad_email_is_reported_with_its_line_and_field():
    _, parsed, _ = _read("linkedin_connections.csv")
    assert [(e.line, e.field) for e in parsed.errors] == [(8, "email")]
    assert "not-an-email" in parsed.errors[0].message
    assert parsed.total == 4


def test_the_newer_google_contacts_csv_is_recognised():
    sniffed, parsed, _ = _read("google_contacts_new.csv")
    assert sniffed.format == "google"
    bjork = _by_name(parsed)["Björk Guðmundsdóttir"]
    assert bjork.emails == ("bjork@sykur.example", "bjork.home@gmail.com")
    assert bjork.phones[0].number == "+3546112345"
    assert bjork.company == "Sykurmolarnir ehf."
    assert bjork.title == "Creative Director"
    assert bjork.notes == "Met at Iceland Airwaves.\nLikes sailing."


def test_google_packs_several_values_in_one_cell_with_triple_colons():
    _, parsed, _ = _read("google_contacts_new.csv")
    assert _by_name(parsed)["Dmitri Ivanov"].emails == ("dmitri@globex.example", "d.ivanov@gmail.com")


def test_a_row_after_a_multi_line_note_keeps_its_own_line_number():
    _, parsed, _ = _read("google_contacts_new.csv")
    # Björk's note spans lines 2-3, so Dmitri starts on line 4 and the bad phone is on line 5.
    assert _by_name(parsed)["Dmitri Ivanov"].line == 4
    assert [(e.line, e.field) for e in parsed.errors] == [(5, "phone")]


def test_the_older_google_contacts_csv_is_recognised():
    sniffed, parsed, _ = _read("google_contacts_legacy.csv")
    assert sniffed.format == "google"
    francoise = _by_name(parsed)["Françoise Dupont"]
    assert francoise.company == "Exemple SA"
    assert francoise.title == "Directrice"
    assert francoise.phones[0].number == "+33142685300"
    assert [(e.line, e.field) for e in parsed.errors] == [(3, "full_name")]
    assert "neither a name nor an email" in parsed.errors[0].message


def test_an_outlook_csv_is_recognised_and_its_honorific_is_not_the_job_title():
    sniffed, parsed, _ = _read("outlook_contacts.csv")
    assert sniffed.format == "outlook"
    soren = _by_name(parsed)["Søren Kierkegaard"]
    assert soren.title == "Head of Thinking"
    assert soren.emails == ("soren@filosofi.example", "soren.k@outlook.com")
    assert [(p.number, p.kind) for p in soren.phones] == [("+4533123456", "work"), ("+4520123456", "mobile")]
    assert soren.location == "København"


def test_an_outlook_csv_written_in_utf16_reads_the_same():
    _, utf8, _ = _read("outlook_contacts.csv")
    _, utf16, decoded = _read("outlook_contacts_utf16.csv")
    assert decoded.encoding == "utf-16"
    assert utf16.rows == utf8.rows


def test_a_utf8_bom_is_not_part_of_the_first_header():
    decoded = csvfiles.decode("\ufeffEmail,Name\r\na@x.example,A\r\n".encode())
    assert csvfiles.read_table(decoded.text).headers == ["Email", "Name"]


def test_a_latin1_file_is_read_with_a_note():
    _, parsed, decoded = _read("generic_latin1.csv")
    assert decoded.encoding == "cp1252"
    assert "not UTF-8" in decoded.note
    assert "Renée Lefèvre" in _by_name(parsed)


def test_any_other_csv_gets_a_guessed_mapping_and_its_delimiter_sniffed():
    sniffed, parsed, _ = _read("generic_latin1.csv")
    assert sniffed.format == "csv"
    assert sniffed.headers == ["Contact", "E-Mail", "Organisation", "Role", "Telephone", "Remarks"]
    assert sniffed.suggested_mapping == {
        "full_name": "Contact",
        "email": "E-Mail",
        "company": "Organisation",
        "title": "Role",
        "phone": "Telephone",
    }
    assert sniffed.samples["E-Mail"][:2] == ["renee@atelier.example", "hans@bau.example"]
    assert _by_name(parsed)["Hans Groß"].company == "Bau AG"
    assert [(e.line, e.field) for e in parsed.errors] == [(5, "email")]  # the empty line 4 is no row


def test_the_mapping_decides_which_column_is_which():
    _, parsed, _ = _read("generic_latin1.csv", mapping={"email": "E-Mail", "notes": "Remarks"})
    renee = next(r for r in parsed.rows if r.emails == ("renee@atelier.example",))
    assert renee.full_name == "Renee"  # no name column chosen: derived from the address
    assert renee.notes == "Met at the trade fair"
    assert renee.company == ""


def test_a_mapping_needs_a_name_or_email_column_and_real_headers():
    headers = ["Contact", "E-Mail"]
    assert csvfiles.check_mapping(headers, {"email": "E-Mail"}) == {}
    assert "email" in csvfiles.check_mapping(headers, {"title": "Contact"})
    assert csvfiles.check_mapping(headers, {"email": "Mail"}) == {"email": "The file has no column “Mail”."}
    assert "shoe_size" in csvfiles.check_mapping(headers, {"email": "E-Mail", "shoe_size": "Contact"})


def test_a_vcard_3_file_gives_every_card_with_its_first_line():
    sniffed, parsed, _ = _read("contacts_v3.vcf")
    assert sniffed.format == "vcard"
    anders = _by_name(parsed)["Dr. Anders Ångström"]
    assert anders.line == 1
    assert anders.emails == ("anders@uppsala-instruments.example", "anders.angstrom@gmail.com")
    assert {p.number for p in anders.phones} == {"+46701234567", "+46184710000"}
    assert anders.company == "Uppsala Instruments AB"
    assert anders.title == "Chief Scientist"
    assert anders.location == "Uppsala, Sweden"
    assert anders.linkedin_url == "https://www.linkedin.com/in/anders-angstrom"
    # Escaped comma and newline, and a folded line, come back as written.
    assert anders.notes == "Spectroscopy expert. Introduced by Priya, at the Stockholm summit.\nFollow up in spring."
    assert _by_name(parsed)["Kenji Watanabe"].line == 24


def test_a_vcard_with_a_bad_phone_is_reported_at_its_begin_line():
    _, parsed, _ = _read("contacts_v3.vcf")
    assert [(e.line, e.field) for e in parsed.errors] == [(17, "phone")]


def test_a_vcard_4_file_handles_type_lists_pref_and_tel_uris():
    _, parsed, _ = _read("contacts_v4.vcf")
    zoe = _by_name(parsed)["Zoë Müller"]
    assert zoe.emails == ("zoe.mueller@beispiel.de", "zoe@posteo.example")  # PREF=1 first
    assert [(p.number, p.kind) for p in zoe.phones] == [("+49301234567", "work"), ("+4915112345678", "mobile")]
    assert zoe.notes.startswith("Speaks German, English and Icelandic.")
    assert "folded across several physical lines" in zoe.notes
    assert _by_name(parsed)["Олег Петров"].emails == ("oleg@petrov.example",)
    assert [(e.line, e.field) for e in parsed.errors] == [(22, "full_name")]


def test_a_vcard_without_its_end_is_reported():
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:B\r\n"
    parsed = parse.parse(text, fmt="vcard", default_region="US")
    assert [r.full_name for r in parsed.rows] == ["A"]
    assert [(e.line, e.message) for e in parsed.errors] == [(5, "This card has no END:VCARD.")]


def test_a_written_vcard_reads_back_the_same():
    card = vcards.CardOut(
        full_name="Zoë Müller-Lüdenscheidt",
        first_name="Zoë",
        last_name="Müller-Lüdenscheidt",
        emails=["zoe@beispiel.de", "z@posteo.example"],
        phones=[("+49301234567", "work"), ("+4915112345678", "mobile")],
        company="Beispiel GmbH; Vertrieb, Nord",
        title="Leiterin",
        location="Berlin, Germany",
        linkedin_url="https://www.linkedin.com/in/zoe",
        notes="Line one\nLine two, with a comma; and a semicolon. " + "Long " * 30,
    )
    text = vcards.vcard_text(card)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    row = parse.parse(text, fmt="vcard", default_region="US").rows[0]
    assert row.full_name == card.full_name
    assert list(row.emails) == card.emails
    assert [(p.number, p.kind) for p in row.phones] == card.phones
    assert (row.company, row.title, row.location) == (card.company, card.title, card.location)
    assert row.linkedin_url == card.linkedin_url
    assert row.notes == card.notes.strip()


def test_a_forced_format_that_does_not_match_the_headers_is_refused():
    with pytest.raises(csvfiles.ImportFileError, match="not in LinkedIn's export format"):
        parse.sniff("Email,Name\r\na@x.example,A\r\n", format_override="linkedin")


def test_an_empty_file_is_refused():
    with pytest.raises(csvfiles.ImportFileError):
        csvfiles.read_table("  \r\n")


def test_the_same_person_twice_in_a_file_is_skipped_the_second_time():
    text = "Email,Name,Company\r\na@x.example,Ann,X\r\nA@X.example,Ann again,X\r\n,Bob,Y\r\n,bob,y\r\n"
    parsed = parse.parse(
        text,
        fmt="csv",
        column_mapping={"email": "Email", "full_name": "Name", "company": "Company"},
        default_region="US",
    )
    assert within_file_duplicates(parsed.rows) == {3: "The same person as line 2.", 5: "The same person as line 4."}
