"""What a prospect's message means (DESIGN V3). Pure: no I/O, no clock.

* **Out-of-office / auto-reply**: RFC 3834 `Auto-Submitted` (anything but "no"), `X-Autoreply`,
  `X-Autorespond`, `Precedence: auto_reply|bulk|junk`; or the subject forms Gmail, Outlook/Exchange and Apple
  Mail write ("Automatic reply:", "Réponse automatique :", "Abwesenheitsnotiz", ...); or an opening sentence of
  the kind ("I am out of the office", "je suis absent", "ich bin nicht im Büro", ...) in English, French,
  German, Spanish, Portuguese, Italian or Dutch. The prospect is parked until the return date the text names
  (see reply_dates), else for a default number of days.
* **Opt-out**: a short, conservative list of clear requests to stop, in what the sender wrote (never in the
  quoted message or the signature), or a message that is only "stop".
* **Anything else** is a reply.

An auto-reply is never an opt-out (its footer may well say "unsubscribe"), and an opt-out wins over a reply."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from services.common.inbound_email import InboundEmail
from services.common.reply_dates import return_date

Kind = Literal["out_of_office", "opted_out", "replied"]
DEFAULT_OOO_DAYS = 7
# Only the beginning of what the sender wrote is read for an out-of-office sentence.
_OOO_SCAN_CHARS = 600


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# Subjects of auto-replies (accents folded, lower case), as each client writes them.
_AUTO_SUBJECT = re.compile(
    r"^(?:"
    + "|".join(
        (
            r"automatic reply",
            r"auto(?:matic)?[ -]?reply",
            r"autoreply",
            r"auto[ -]?response",
            r"out of (?:the )?office",
            r"away from (?:the )?office",
            r"on vacation",
            r"on leave",
            r"vacation reply",  # en: Outlook, Gmail
            r"reponse automatique",
            r"absence du bureau",
            r"absent du bureau",
            r"message d'absence",
            r"absent",  # fr
            r"automatische antwort",
            r"abwesenheitsnotiz",
            r"abwesend",
            r"automatische abwesenheitsnotiz",  # de
            r"respuesta automatica",
            r"fuera de la oficina",
            r"ausente",
            r"fuera de oficina",  # es
            r"resposta automatica",
            r"ausencia temporaria",
            r"fora do escritorio",
            r"ausente do escritorio",  # pt
            r"risposta automatica",
            r"fuori sede",
            r"fuori ufficio",
            r"assente",  # it
            r"automatisch antwoord",
            r"afwezig",
            r"niet aanwezig",
            r"buiten kantoor",
            r"automatisch bericht",  # nl
        )
    )
    + r")\b"
)
# Opening sentences of out-of-office messages (folded).
_OOO_BODY = re.compile(
    "|".join(
        (
            r"\bi(?: am|'m| will be| shall be) (?:currently )?(?:out of (?:the )?office|away|on (?:annual |parental |"
            r"maternity |paternity |sick )?(?:leave|vacation|holiday)|travell?ing with limited)",
            r"\bout of (?:the )?office (?:until|till|from|through|and|with)\b",
            r"\bthis is an automatic reply\b",
            r"\bi am (?:currently )?(?:unavailable|not in the office)\b",
            r"\blimited access to (?:my )?e-?mail\b",
            r"\bje (?:suis|serai) (?:actuellement )?(?:absente?|en conges?|en vacances|hors du bureau|en deplacement)",
            r"\bmessage d'absence\b",
            r"\breponse automatique\b",
            r"\bich bin (?:derzeit |zurzeit |bis )?.{0,40}?(?:nicht im (?:buro|buero)|abwesend|im urlaub|auser haus|"
            r"ausser haus|außer haus)",
            r"\b(?:bin ich|ich bin) (?:nicht im (?:buro|buero)|abwesend|im urlaub)",
            r"\bvielen dank fur ihre (?:e-?mail|nachricht)\. ich bin\b",
            r"\b(?:estoy|estare) (?:fuera de la oficina|ausente|de vacaciones|fuera)\b",
            r"\b(?:estou|estarei) (?:fora do escritorio|ausente|de ferias|fora)\b",
            r"\b(?:sono|saro) (?:fuori (?:ufficio|sede)|assente|in ferie|in vacanza)\b",
            r"\bik ben (?:momenteel |tot .{0,30})?(?:afwezig|niet aanwezig|met vakantie|buiten kantoor|op vakantie)\b",
            r"\bben ik (?:afwezig|niet aanwezig|met vakantie|op vakantie)\b",
        )
    )
)
# Clear requests to stop (folded), short and conservative: a reply that merely says "not interested" is a reply.
_OPT_OUT = re.compile(
    "|".join(
        (
            r"\bunsubscribe\b",
            r"\bremove me\b",
            r"\btake me off\b",
            r"\bstop (?:e-?mailing|contacting|messaging|"
            r"writing to|sending)\b",
            r"\b(?:do not|don't|dont) (?:contact|email|e-mail|message|write to) me\b",
            r"\bopt(?:-| )?out\b",
            r"\bremove my (?:e-?mail|address|name|details)\b",
            r"\bdesabonn",
            r"\bdesinscri",
            r"\bne plus (?:me )?(?:recevoir|contacter|ecrire)\b",
            r"\bretirez[- ]moi\b",
            r"\bsupprimez[- ]moi\b",
            r"\bne me (?:contactez|recontactez|ecrivez) plus\b",
            r"\babmelden\b",
            r"\baustragen\b",
            r"\bkeine (?:weiteren )?(?:e-?mails|nachrichten)\b",
            r"\bkontaktieren sie mich nicht\b",
            r"\bentfernen sie mich\b",
            r"\bschreiben sie mir nicht\b",
            r"\bdar(?:me)? de baja\b",
            r"\bno me (?:contacte|contactes|escriba|escribas|envie|envies)\b",
            r"\beliminame\b",
            r"\bquitarme de\b",
            r"\bsacadme de\b",
            r"\bdescadastr",
            r"\bcancelar (?:a )?(?:minha )?inscricao\b",
            r"\bnao me (?:contate|contacte|envie|escreva)\b",
            r"\bremova[- ]me\b",
            r"\bpare de me (?:enviar|contatar|escrever)\b",
            r"\bdisiscriv",
            r"\bcancellatemi\b",
            r"\brimuovetemi\b",
            r"\bnon (?:contattatemi|mi contatti|scrivetemi)\b",
            r"\bcancellarmi\b",
            r"\brimuovermi\b",
            r"\bafmelden\b",
            r"\buitschrijven\b",
            r"\bverwijder (?:mij|me)\b",
            r"\bhaal (?:mij|me) (?:van|uit)\b",
            r"\bneem geen contact\b",
            r"\bgeen (?:e-?mails|berichten) meer\b",
        )
    )
)
_ONLY_STOP = re.compile(r"^\W*(?:stop|stopp|arret|arrete|alto|pare|basta)\W*$")
_AUTO_PRECEDENCE = ("auto_reply", "bulk", "junk")
# The headers that mark a message automatic: all a reader needs to pass on besides the text.
AUTO_HEADERS = ("auto-submitted", "x-autoreply", "x-autorespond", "precedence")


@dataclass(frozen=True, slots=True)
class Classification:
    kind: Kind
    # out_of_office: when the prospect is back (a day found in the text, else the default).
    until: datetime | None = None
    # What decided it: a header, "subject", "body" or "opt_out_phrase" (for the history and the logs).
    evidence: str = ""


def is_auto_submitted(headers: dict[str, str]) -> str:
    """The header that marks the message as automatic (RFC 3834 and common practice), or ""."""
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto-submitted"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers and headers[name].strip().lower() not in ("no", "false", "0"):
            return name
    if headers.get("precedence", "").strip().lower() in _AUTO_PRECEDENCE:
        return "precedence"
    return ""


def classify_text(
    subject: str,
    text: str,
    arrived: datetime,
    *,
    headers: dict[str, str] | None = None,
    default_ooo_days: float = DEFAULT_OOO_DAYS,
) -> Classification:
    """Classify what the sender wrote (quoted text already removed). `headers`: lower-cased names."""
    folded_subject = _fold(re.sub(r"^(?:(?:re|aw|sv|tr|rv|r|antw|wg|fw|fwd)\s*:\s*)+", "", subject.strip(), flags=re.I))
    folded_text = _fold(text)
    evidence = is_auto_submitted(headers or {})
    if not evidence and _AUTO_SUBJECT.match(folded_subject):
        evidence = "subject"
    if not evidence and _OOO_BODY.search(folded_text[:_OOO_SCAN_CHARS]):
        evidence = "body"
    if evidence:
        back = return_date(f"{subject}\n{text}", arrived.date())
        until = _start_of(back) if back else arrived + timedelta(days=default_ooo_days)
        return Classification("out_of_office", until, evidence)
    if _ONLY_STOP.match(folded_text) or _OPT_OUT.search(folded_text) or _OPT_OUT.search(folded_subject):
        return Classification("opted_out", None, "opt_out_phrase")
    return Classification("replied")


def classify_email(
    email: InboundEmail,
    arrived: datetime,
    *,
    default_ooo_days: float = DEFAULT_OOO_DAYS,
) -> Classification:
    return classify_text(email.subject, email.text, arrived, headers=email.headers, default_ooo_days=default_ooo_days)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def snippet(text: str, limit: int = 200) -> str:
    """A short, single-line excerpt of what the prospect wrote, for its history."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
