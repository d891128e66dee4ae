"""Reply classification (DESIGN V3) on messages as Gmail, Outlook/Exchange and Apple Mail write them: headers,
quoted text, HTML alternatives, seven languages; and the dates out-of-office messages name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.inbound_email import html_to_text, parse, strip_quoted
from services.common.reply_classifier import classify_email, classify_text, is_auto_submitted, snippet
from services.common.reply_dates import dates_in, return_date

ARRIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday

# Our own campaign email, as a prospect's client quotes it: its footer says "unsubscribe".
OUR_FOOTER = "Don't want to hear from us? Unsubscribe: https://hf.example/u/abc"

GMAIL_HUMAN_REPLY = (
    "MIME-Version: 1.0\r\n"
    "Date: Mon, 2 Mar 2026 10:14:03 +0100\r\n"
    "References: <0b7c@holdfast>\r\n"
    "In-Reply-To: <0b7c@holdfast>\r\n"
    "Message-ID: <CAF=abc123@mail.gmail.com>\r\n"
    "Subject: Re: Quick question, Ana\r\n"
    "From: Ana Lima <ana@acme.example>\r\n"
    "To: Sam <sam@holdfast.example>\r\n"
    'Content-Type: multipart/alternative; boundary="000000000000a1b2"\r\n\r\n'
    "--000000000000a1b2\r\n"
    'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
    "Yes, Thursday 10:00 works for me.\r\n\r\n"
    "Ana\r\n\r\n"
    "On Mon, Mar 2, 2026 at 9:00 AM Sam <sam@holdfast.example> wrote:\r\n\r\n"
    "> Hi Ana, would you have 15 minutes this week?\r\n"
    f"> {OUR_FOOTER}\r\n\r\n"
    "--000000000000a1b2\r\n"
    'Content-Type: text/html; charset="UTF-8"\r\n\r\n'
    '<div dir="ltr">Yes, Thursday 10:00 works for me.<div><br></div><div>Ana</div></div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 2, 2026 at 9:00 AM Sam wrote:<br>'
    f'</div><blockquote class="gmail_quote">Hi Ana, would you have 15 minutes?<br>{OUR_FOOTER}</blockquote></div>\r\n'
    "--000000000000a1b2--\r\n"
).encode()

GMAIL_VACATION_RESPONDER = (
    b"MIME-Version: 1.0\r\n"
    b"Auto-Submitted: auto-replied\r\n"
    b"Precedence: bulk\r\n"
    b"Message-ID: <CAF=vac999@mail.gmail.com>\r\n"
    b"In-Reply-To: <0b7c@holdfast>\r\n"
    b"Subject: Away until March 16\r\n"
    b"From: Bo <bo@acme.example>\r\n"
    b"To: sam@holdfast.example\r\n"
    b'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
    b"Thanks for your email. I'm travelling and will be back on Monday, March 16th, 2026.\r\n"
    b"For anything urgent please contact office@acme.example.\r\n"
)

OUTLOOK_FRENCH_OOO = (
    b"Thread-Topic: Votre projet\r\n"
    b"Subject: =?utf-8?Q?R=C3=A9ponse_automatique=C2=A0:_Votre_projet?=\r\n"
    b"Auto-Submitted: auto-generated\r\n"
    b"X-Auto-Response-Suppress: All\r\n"
    b"X-MS-Exchange-Inbox-Rules-Loop: claire@societe.example\r\n"
    b"Message-ID: <PR3P195MB0001@PR3P195MB0001.EURP195.PROD.OUTLOOK.COM>\r\n"
    b"In-Reply-To: <0b7d@holdfast>\r\n"
    b"From: Claire Martin <claire@societe.example>\r\n"
    b"To: Sam <sam@holdfast.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="_000_PR3P_"\r\n\r\n'
    b"--_000_PR3P_\r\n"
    b'Content-Type: text/plain; charset="iso-8859-1"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"Bonjour,\r\n\r\nJe suis absente du bureau jusqu'au lundi 16 mars 2026 inclus, avec un acc=E8s limit=E9 =E0 "
    b"mes e-mails.\r\nEn cas d'urgence, contactez accueil@societe.example.\r\n\r\nCordialement,\r\nClaire\r\n\r\n"
    b"--_000_PR3P_\r\n"
    b'Content-Type: text/html; charset="iso-8859-1"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"<html><head><style>p{margin:0}</style></head><body><p>Bonjour,</p><p>Je suis absente du bureau jusqu'au "
    b"lundi 16 mars 2026 inclus.</p></body></html>\r\n"
    b"--_000_PR3P_--\r\n"
)

OUTLOOK_GERMAN_HTML_OPT_OUT = (
    "Subject: AW: Kurze Frage\r\n"
    "Message-ID: <AM0PR01@AM0PR01.eurprd01.prod.outlook.com>\r\n"
    "In-Reply-To: <0b7e@holdfast>\r\n"
    "From: Jonas <jonas@firma.example>\r\n"
    "To: sam@holdfast.example\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: text/html; charset="utf-8"\r\n\r\n'
    "<html><body><div>Bitte tragen Sie mich aus Ihrem Verteiler aus und kontaktieren Sie mich nicht mehr."
    '</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>Von:</b> Sam<br><b>Gesendet:</b> '
    "Montag, 2. M&auml;rz 2026 09:00<br><b>Betreff:</b> Kurze Frage</div><div>Hallo Jonas, ... "
    f"{OUR_FOOTER}</div></body></html>\r\n"
).encode()

APPLE_MAIL_REPLY = (
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.500.171.1.1\\))\r\n"
    "Subject: Re: Quick question\r\n"
    "From: Dana <dana@studio.example>\r\n"
    "In-Reply-To: <0b7f@holdfast>\r\n"
    "Message-Id: <5D1A2B3C-AAAA-BBBB@studio.example>\r\n"
    "Date: Mon, 2 Mar 2026 11:02:44 +0100\r\n"
    "To: Sam <sam@holdfast.example>\r\n\r\n"
    "Sounds interesting =E2=80=94 send me the deck.\r\n\r\n"
    "> On 2 Mar 2026, at 09:00, Sam <sam@holdfast.example> wrote:\r\n"
    ">=20\r\n"
    "> Hi Dana,\r\n"
    f"> {OUR_FOOTER}\r\n"
).encode()

APPLE_MAIL_RULE_OOO_DUTCH = (
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Mime-Version: 1.0 (Mac OS X Mail 16.0)\r\n"
    b"Subject: Re: Korte vraag\r\n"
    b"From: Eva <eva@bedrijf.example>\r\n"
    b"Message-Id: <E1@bedrijf.example>\r\n"
    b"To: sam@holdfast.example\r\n\r\n"
    b"Beste afzender,\r\n\r\nIk ben met vakantie tot en met 20 maart en lees mijn mail niet.\r\n"
)


def test_a_gmail_reply_is_a_reply_even_though_its_quote_says_unsubscribe():
    email = parse(GMAIL_HUMAN_REPLY)
    assert email.in_reply_to == "<0b7c@holdfast>" and email.references == ("<0b7c@holdfast>",)
    assert email.message_id == "<CAF=abc123@mail.gmail.com>" and email.from_address == "ana@acme.example"
    assert email.text == "Yes, Thursday 10:00 works for me.\n\nAna"
    assert classify_email(email, ARRIVED).kind == "replied"


def test_gmails_vacation_responder_parks_until_the_day_after_the_date_it_names():
    c = classify_email(parse(GMAIL_VACATION_RESPONDER), ARRIVED)
    assert c.kind == "out_of_office" and c.evidence == "auto-submitted"
    assert c.until == datetime(2026, 3, 17, tzinfo=UTC)


def test_an_outlook_french_out_of_office_in_latin_1_names_its_return():
    email = parse(OUTLOOK_FRENCH_OOO)
    assert email.subject.startswith("Réponse automatique")
    assert "accès limité" in email.text
    c = classify_email(email, ARRIVED)
    assert c.kind == "out_of_office" and c.until == datetime(2026, 3, 17, tzinfo=UTC)


def test_the_same_french_out_of_office_without_its_headers_is_still_recognized_by_subject_and_body():
    email = parse(OUTLOOK_FRENCH_OOO.replace(b"Auto-Submitted: auto-generated\r\n", b""))
    assert classify_email(email, ARRIVED).evidence == "subject"
    bare = classify_text("Re: Votre projet", email.text, ARRIVED)
    assert bare.kind == "out_of_office" and bare.evidence == "body"


def test_an_outlook_html_only_german_opt_out_is_read_without_the_quoted_message():
    email = parse(OUTLOOK_GERMAN_HTML_OPT_OUT)
    assert "Verteiler" in email.text and "Hallo Jonas" not in email.text and "Unsubscribe" not in email.text
    assert classify_email(email, ARRIVED).kind == "opted_out"


def test_an_apple_mail_reply_is_a_reply_and_its_quote_is_cut():
    email = parse(APPLE_MAIL_REPLY)
    assert email.text == "Sounds interesting — send me the deck."
    assert classify_email(email, ARRIVED).kind == "replied"


def test_an_apple_mail_rule_reply_in_dutch_is_an_out_of_office_by_its_words():
    c = classify_email(parse(APPLE_MAIL_RULE_OOO_DUTCH), ARRIVED)
    assert c.kind == "out_of_office" and c.evidence == "body" and c.until == datetime(2026, 3, 21, tzinfo=UTC)


def test_an_out_of_office_without_a_date_parks_for_the_default_days():
    c = classify_text(
        "Automatic reply: Quick question", "I am currently out of the office.", ARRIVED, default_ooo_days=7
    )
    assert c.until == ARRIVED + timedelta(days=7)


@pytest.mark.parametrize(
    ("headers", "evidence"),
    [
        ({"auto-submitted": "auto-replied"}, "auto-submitted"),
        ({"auto-submitted": "auto-generated"}, "auto-submitted"),
        ({"x-autoreply": "yes"}, "x-autoreply"),
        ({"x-autorespond": "Out of office"}, "x-autorespond"),
        ({"precedence": "auto_reply"}, "precedence"),
        ({"precedence": "bulk"}, "precedence"),
        ({"precedence": "junk"}, "precedence"),
        ({"auto-submitted": "no"}, ""),
        ({"precedence": "list"}, ""),
        ({"x-autoreply": "no"}, ""),
        ({}, ""),
    ],
)
def test_rfc_3834_and_common_auto_reply_headers(headers, evidence):
    assert is_auto_submitted(headers) == evidence
    c = classify_text("Re: hello", "Thanks, sounds good.", ARRIVED, headers=headers)
    assert c.kind == ("out_of_office" if evidence else "replied")


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Quick question",
        "Auto-Reply: Quick question",
        "Out of Office: Quick question",
        "Réponse automatique : Votre projet",
        "Absence du bureau",
        "Automatische Antwort: Kurze Frage",
        "Abwesenheitsnotiz: Kurze Frage",
        "Respuesta automática: Pregunta",
        "Fuera de la oficina",
        "Resposta automática: Pergunta",
        "Ausência temporária",
        "Risposta automatica: Domanda",
        "Fuori ufficio",
        "Automatisch antwoord: Korte vraag",
        "Afwezig",
        "RE: Automatic reply: Quick question",
    ],
)
def test_auto_reply_subjects_of_the_major_clients_in_seven_languages(subject):
    assert classify_text(subject, "Thank you for your message.", ARRIVED).kind == "out_of_office"


@pytest.mark.parametrize(
    "body",
    [
        "I am out of the office until March 12 with limited access to email.",
        "I'm currently on annual leave and will return on 16 March.",
        "Je suis actuellement absent et serai de retour le 12 mars.",
        "Vielen Dank für Ihre Nachricht. Ich bin bis zum 12. März nicht im Büro.",
        "Estoy fuera de la oficina hasta el 12 de marzo.",
        "Estou fora do escritório até 12 de março.",
        "Sono fuori ufficio fino al 12 marzo.",
        "Ik ben afwezig tot en met 12 maart.",
    ],
)
def test_out_of_office_sentences_in_seven_languages_name_the_12th_of_march(body):
    c = classify_text("Re: Quick question", body, ARRIVED)
    assert c.kind == "out_of_office"
    assert c.until is not None and c.until.date() in (date(2026, 3, 13), date(2026, 3, 17))


@pytest.mark.parametrize(
    "body",
    [
        "Please unsubscribe me.",
        "Remove me from your list",
        "Stop emailing me.",
        "Please don't contact me again",
        "STOP",
        "stop.",
        "Merci de me désabonner.",
        "Ne me contactez plus, merci.",
        "Bitte abmelden.",
        "Entfernen Sie mich bitte aus dem Verteiler",
        "Por favor, darme de baja.",
        "No me contacte más.",
        "Quero descadastrar meu e-mail.",
        "Não me contate mais.",
        "Vorrei disiscrivermi.",
        "Non contattatemi più.",
        "Graag uitschrijven.",
        "Verwijder mij uit uw lijst.",
        "opt out",
    ],
)
def test_clear_requests_to_stop_are_opt_outs_in_seven_languages(body):
    assert classify_text("Re: Quick question", body, ARRIVED).kind == "opted_out"


@pytest.mark.parametrize(
    "body",
    [
        "Not interested, thanks.",
        "Can you stop by on Thursday?",
        "Yes, let's talk next week.",
        "We stopped using that tool last year.",
        "Who gave you my address?",
        "Pas intéressé pour le moment.",
        "Kein Interesse, danke.",
        "I was away last week, sorry for the delay. Happy to talk!",
    ],
)
def test_ordinary_replies_are_replies(body):
    assert classify_text("Re: Quick question", body, ARRIVED).kind == "replied"


def test_an_auto_reply_whose_footer_says_unsubscribe_is_an_out_of_office_not_an_opt_out():
    c = classify_text(
        "Automatic reply",
        "I am out of the office.\nTo unsubscribe from our newsletter click here.",
        ARRIVED,
        headers={"auto-submitted": "auto-replied"},
    )
    assert c.kind == "out_of_office"


def test_broken_encodings_and_broken_mime_never_raise():
    unknown_charset = (
        b"Subject: Re: hi\r\nFrom: x@y.example\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\n"
        b"Caf\xe9 ok, remove me please\r\n"
    )
    email = parse(unknown_charset)
    assert "remove me" in email.text and classify_email(email, ARRIVED).kind == "opted_out"
    broken = b"Subject: =?utf-8?B?!!!?=\r\nContent-Type: multipart/alternative\r\n\r\nno boundary at all\r\n"
    email = parse(broken)
    assert classify_email(email, ARRIVED).kind == "replied"
    assert parse(b"").text == "" and parse(b"\xff\xfe\x00garbage").message_id == ""


def test_quote_markers_of_each_language_and_outlook_header_blocks_are_cut():
    for intro in (
        "Le lun. 2 mars 2026 à 09:00, Sam <s@h.example> a écrit :",
        "Am 02.03.2026 um 09:00 schrieb Sam:",
        "El lun, 2 mar 2026 a las 9:00, Sam escribió:",
        "Em seg., 2 de mar. de 2026 às 09:00, Sam escreveu:",
        "Il giorno lun 2 mar 2026 alle ore 09:00 Sam ha scritto:",
        "Op ma 2 mrt 2026 om 09:00 schreef Sam:",
        "-----Original Message-----",
    ):
        assert strip_quoted(f"Yes please.\n\n{intro}\n{OUR_FOOTER}") == "Yes please."
    outlook = f"Sure.\n\nFrom: Sam <s@h.example>\nSent: Monday, March 2, 2026 9:00 AM\nSubject: Hi\n\n{OUR_FOOTER}"
    assert strip_quoted(outlook) == "Sure."
    assert strip_quoted("Thanks\n-- \nAna Lima | CEO | unsubscribe from our news") == "Thanks"
    assert html_to_text('<p>Yes</p><blockquote type="cite">unsubscribe</blockquote>') == "Yes"


def test_dates_in_seven_languages_and_numeric_forms():
    arrived = date(2026, 3, 2)
    assert dates_in("back on March 12th, 2026", arrived) == [date(2026, 3, 12)]
    assert dates_in("de retour le 12 mars", arrived) == [date(2026, 3, 12)]
    assert dates_in("ab dem 12. März 2026 wieder da", arrived) == [date(2026, 3, 12)]
    assert dates_in("hasta el 12 de marzo", arrived) == [date(2026, 3, 12)]
    assert dates_in("até 12 de março", arrived) == [date(2026, 3, 12)]
    assert dates_in("fino al 12 marzo", arrived) == [date(2026, 3, 12)]
    assert dates_in("tot en met 12 maart", arrived) == [date(2026, 3, 12)]
    assert dates_in("du 02/03 au 12/03/2026", arrived) == [date(2026, 3, 2), date(2026, 3, 12)]
    assert dates_in("back 2026-03-20", arrived) == [date(2026, 3, 20)]
    assert dates_in("until 3/16", arrived) == [date(2026, 3, 16)]  # only the US reading is a date
    assert dates_in("back Jan 5", arrived) == [date(2027, 1, 5)]  # no year: the next one
    assert dates_in("ticket 45/99, ref 2019-01-01, I'm out 5 days", arrived) == []
    assert return_date("out until 12.03.", arrived) == date(2026, 3, 13)
    assert return_date("no date here", arrived) is None


def test_a_snippet_is_one_short_line():
    assert snippet("Yes,\n\n Thursday   works") == "Yes, Thursday works"
    assert len(snippet("x" * 500)) == 200
