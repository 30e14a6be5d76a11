"""Personal data: finding it in a table, and pseudonymising or dropping it before any analysis.

:func:`detect_personal` finds the columns that hold personal data, by their header and by their
values: person names, e-mail addresses, phone numbers (with mainland mobiles, 1[3-9] and nine
digits), national ID numbers (the 18-character 身份证 with its birth date and ISO 7064 check
character), social-insurance numbers, bank-card numbers (13 to 19 digits passing the Luhn check),
street addresses and IP addresses.

:func:`protect` then does what each column needs before the table goes anywhere else:
identifiers (e-mail, phone, ID, social-insurance and card numbers) are replaced by a keyed hash,
HMAC-SHA-256 under a per-deployment secret (:func:`privacy_key`), so the same customer gets the
same pseudonym in every upload and a join on them still works; the other personal columns (names,
addresses, IPs) are dropped. The user may choose otherwise for any column ("keep" is an explicit
choice). What was done to which column travels with the table (``LoadedTable.privacy``), so the
Data page, a saved workspace and the report can say it.

The pseudonyms' originals are returned separately (:class:`Protected.originals`) so that a page can
put them back into one export, in the same session, when the user asks; nothing else keeps them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analytics.data.names import _norm
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

#: What each kind of personal column holds, in words.
PERSONAL_KINDS: dict[str, str] = {
    "name": N_("person names"),
    "email": N_("e-mail addresses"),
    "phone": N_("phone numbers"),
    "national_id": N_("national ID numbers (身份证)"),
    "social_insurance": N_("social-insurance numbers"),
    "bank_card": N_("bank-card numbers"),
    "address": N_("street addresses"),
    "ip": N_("IP addresses"),
    "chosen": N_("values you chose to pseudonymise"),
}
#: How a column was found, in words.
FOUND_BY = {
    "name": N_("name"),
    "content": N_("content"),
    "name and content": N_("name and content"),
    "your choice": N_("your choice"),
}
#: The kinds that identify a customer: pseudonymised by default (joins on them keep working).
IDENTIFIER_KINDS = frozenset({"email", "phone", "national_id", "social_insurance", "bank_card"})
#: What can be done to a personal column.
ACTIONS: dict[str, str] = {
    "pseudonymise": N_("Pseudonymised (keyed hash)"),
    "drop": N_("Dropped"),
    "keep": N_("Kept as uploaded (your choice)"),
}
#: The environment variable holding the deployment's pseudonym secret.
SECRET_ENV = "MARKETLENS_PRIVACY_SECRET"
#: Where a secret is generated and kept when none is configured (override with this variable).
KEY_FILE_ENV = "MARKETLENS_PRIVACY_KEY_FILE"
DEFAULT_KEY_FILE = Path(__file__).resolve().parents[2] / "data" / "privacy.key"
#: Values looked at per column to recognise its content.
PROBE = 1_000
PSEUDONYM_PREFIX = "p-"


class PrivacyStep(NamedTuple):
    """What was done to one column (a plain tuple, so it is saved with a workspace as JSON)."""

    column: str
    holds: str  # a key of PERSONAL_KINDS
    found_by: str  # "name", "content", "name and content" or "your choice"
    action: str  # a key of ACTIONS
    detail: str = ""

    def describe(self) -> str:
        """One line: ``"email (e-mail addresses, found by content): pseudonymised."``"""
        done = {"pseudonymise": "pseudonymised", "drop": "dropped", "keep": "kept as uploaded"}
        what = PERSONAL_KINDS.get(self.holds, self.holds)
        extra = f" {self.detail}" if self.detail else ""
        return f"{self.column} ({what}, found by {self.found_by}): {done[self.action]}.{extra}"


@dataclass(frozen=True)
class PersonalColumn:
    """A column found to hold personal data.

    Attributes
    ----------
    column, kind : str
    found_by : str
        ``"name"``, ``"content"`` or ``"name and content"``.
    share : float
        The share of the values probed that look like the kind.
    detail : str
        What else was seen (national IDs failing their check character).
    """

    column: str
    kind: str
    found_by: str
    share: float
    detail: str = ""

    @property
    def default_action(self) -> str:
        """Identifiers, and names under a customer header (``Customer Name``, which some exports
        use as the only customer key), are pseudonymised; other kinds dropped."""
        if self.kind in IDENTIFIER_KINDS or self.kind == "chosen":
            return "pseudonymise"
        customer = any(w in self.column.lower() for w in _CUSTOMER_WORDS)
        return "pseudonymise" if self.kind == "name" and customer else "drop"


# --- recognising values ----------------------------------------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_MOBILE_CN = re.compile(r"^(?:(?:\+|00)?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}$")
_PHONE_INTL = re.compile(r"^(?:\+|00)\d{1,3}[\s.\-]?(?:\(\d{1,4}\)[\s.\-]?)?\d[\d\s.\-]{5,15}\d$")
_PHONE_US = re.compile(r"^(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}$")
_PHONE_CN_LANDLINE = re.compile(r"^0\d{2,3}-\d{7,8}$")
_NATIONAL_ID = re.compile(r"^\d{17}[\dXx]$")
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_CARD = re.compile(r"^\d{4}(?:[\s-]?\d{2,4}){2,4}\d{0,3}$")
_STREET_CN = re.compile(r"(?:路|街|道|巷|弄|胡同|大街|小区|村).*\d+.*(?:号|室|楼|栋|单元)|\d+\s*号")
_STREET_EN = re.compile(
    r"^\d+[A-Za-z]?\s+(?:[A-Za-z0-9.'\-]+\s+){0,5}"
    r"(?:street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|way|court|ct|place|pl|"
    r"terrace|close|square|sq|parkway|highway|hwy)\b",
    re.IGNORECASE,
)
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
_LATIN_NAME = re.compile(r"^[A-Z][a-zA-Z'\-]+(?:[ ,.]+[A-Z][a-zA-Z'\-.]*){0,3}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_valid(number: str) -> bool:
    """Whether a card number's digits pass the Luhn check (spaces and dashes ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def china_id_valid(number: str) -> bool:
    """Whether an 18-character 身份证 number's last character is its ISO 7064 MOD 11-2 check."""
    text = number.strip().upper()
    if not _NATIONAL_ID.match(text):
        return False
    total = sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17]


def _id_shape(text: str) -> bool:
    """18 characters with a plausible birth date at positions 7-14 (checksum not required)."""
    if not _NATIONAL_ID.match(text):
        return False
    year, month, day = int(text[6:10]), int(text[10:12]), int(text[12:14])
    return 1900 <= year <= 2030 and 1 <= month <= 12 and 1 <= day <= 31


def _is_ip(text: str) -> bool:
    if "." not in text and ":" not in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_phone(text: str) -> bool:
    return bool(
        _MOBILE_CN.match(text)
        or _PHONE_INTL.match(text)
        or _PHONE_US.match(text)
        or _PHONE_CN_LANDLINE.match(text)
    )


def _is_card(text: str) -> bool:
    digits = re.sub(r"[\s-]", "", text)
    return bool(_CARD.match(text)) and 13 <= len(digits) <= 19 and luhn_valid(digits)


def _is_address(text: str) -> bool:
    return len(text) >= 6 and bool(_STREET_CN.search(text) or _STREET_EN.match(text))


def _is_name(text: str) -> bool:
    return bool(_CJK_NAME.match(text) or _LATIN_NAME.match(text))


def _is_insurance(text: str) -> bool:
    return bool(_SSN.match(text)) or sum(c.isdigit() for c in text) >= 6


_CONTENT = {
    "email": lambda t: bool(_EMAIL.match(t)),
    "national_id": _id_shape,
    "bank_card": _is_card,
    "phone": _is_phone,
    "ip": _is_ip,
    "address": _is_address,
    "social_insurance": lambda t: bool(_SSN.match(t)),
    "name": _is_name,
}
# Checked with a header naming them: looser, since the header already says what they are.
_WITH_NAME = {
    **_CONTENT,
    "social_insurance": _is_insurance,
    # Any street line with a number ("59 rue de l'Abbaye", "建国路88号"); a bare province or city
    # under an address header (Tmall's 收货地址 holds "上海") is a region, not an address.
    "address": lambda t: len(t) >= 6 and any(c.isdigit() for c in t) and not t.isdigit(),
}
#: Kinds recognised by their values alone (names are too like product or city names to be).
_BY_CONTENT_ALONE = (
    "email",
    "national_id",
    "bank_card",
    "phone",
    "ip",
    "address",
    "social_insurance",
)
#: Header-named kinds trusted over values of enough digits (or an @) in an unusual shape.
_DIGITS_ENOUGH = {
    "phone": lambda t: sum(c.isdigit() for c in t) >= 7,
    "national_id": lambda t: sum(c.isdigit() for c in t) >= 8,
    "social_insurance": _is_insurance,
    "bank_card": lambda t: sum(c.isdigit() for c in t) >= 12,
    "email": lambda t: "@" in t,
}
#: Share of probed values needed: with a header naming the kind, and by content alone.
NAMED_SHARE = 0.5
CONTENT_SHARE = 0.8


# --- recognising headers ---------------------------------------------------------------------------

_HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "邮箱", "邮件", "电子邮件"),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "cell",
        "cellphone",
        "手机",
        "电话",
        "联系方式",
        "telefon",
        "telefono",
        "telephone",
        "handy",
    ),
    "national_id": (
        "身份证",
        "idcard",
        "nationalid",
        "citizenid",
        "identitycard",
        "证件号",
        "证件号码",
        "passport",
        "护照",
        "personalausweis",
        "dni",
        "nif",
        "cpf",
    ),
    "social_insurance": (
        "ssn",
        "socialsecurity",
        "socialsecuritynumber",
        "社保",
        "医保",
        "sin",
        "insurancenumber",
        "nino",
        "nationalinsurance",
    ),
    "bank_card": (
        "cardnumber",
        "cardno",
        "bankcard",
        "银行卡",
        "银行卡号",
        "creditcard",
        "debitcard",
        "iban",
        "bankaccount",
        "accountnumber",
        "pan",
    ),
    "ip": ("ip", "ipaddress", "ipaddr", "ip地址", "clientip", "remoteaddr"),
    "address": (
        "address",
        "street",
        "addr",
        "地址",
        "住址",
        "街道",
        "详细地址",
        "streetaddress",
        "adresse",
        "direccion",
        "endereco",
    ),
}
_PERSON_WORDS = (
    "cliente",
    "kunde",
    "first",
    "last",
    "full",
    "given",
    "family",
    "customer",
    "client",
    "contact",
    "buyer",
    "recipient",
    "person",
    "user",
    "member",
    "sur",
    "fore",
    "cardholder",
)
_NOT_PERSON_WORDS = (
    "product",
    "item",
    "company",
    "store",
    "shop",
    "brand",
    "category",
    "file",
    "sheet",
    "city",
    "country",
    "state",
    "region",
    "campaign",
    "channel",
    "segment",
    "sku",
    "drug",
    "medicine",
    "商品",
    "产品",
    "药品",
    "公司",
    "店",
    "城市",
    "地区",
    "类别",
    "品牌",
    "sub",
    "ship",
    "mode",
    "host",
    "server",
    "domain",
    "tld",
    "server",
)
_CUSTOMER_WORDS = (
    "customer",
    "client",
    "buyer",
    "member",
    "shopper",
    "客户",
    "会员",
    "买家",
    "顾客",
)
_CJK_PERSON = (
    "姓名",
    "名字",
    "联系人",
    "收货人",
    "收件人",
    "客户姓名",
    "会员姓名",
    "顾客姓名",
    "持卡人",
    "买家姓名",
)


#: "Name" in the languages whose headers MarketLens reads (Spanish, Portuguese, French, German,
#: Italian): "Nombre del cliente" is a person's name as "Customer Name" is.
_NAME_WORDS = frozenset(
    {
        "name",
        "nombre",
        "nome",
        "nom",
        "apellido",
        "apellidos",
        "vorname",
        "nachname",
        "prenom",
        "prénom",
        "cognome",
    }
)


def _header_kind(column: object) -> str | None:
    """The personal kind a header names, if any (before looking at its values)."""
    raw = str(column).strip().lower()
    words = [w for w in re.split(r"[\s_\-./()#:：（）]+", raw) if w]
    norm = _norm(column)
    if any(w in raw for w in _CJK_PERSON) or (
        (
            any(w in _NAME_WORDS for w in words)
            or norm
            in {
                "name",
                "surname",
                "firstname",
                "lastname",
                "fullname",
                "forename",
                "customername",
                "contactname",
                "clientname",
            }
            or (norm.endswith("name") and any(p in norm[:-4] for p in _PERSON_WORDS))
        )
        and not any(b in raw for b in _NOT_PERSON_WORDS)
        and (len(words) == 1 or any(p in raw for p in _PERSON_WORDS))
    ):
        return "name"
    for kind, hints in _HEADER_WORDS.items():
        for hint in hints:
            if hint.isascii():
                if (
                    norm == hint
                    or hint in words
                    or (len(hint) > 4 and (norm.endswith(hint) or norm.startswith(hint)))
                ):
                    return kind
            elif hint in raw:
                return kind
    return None


# --- finding them -----------------------------------------------------------------------------------


def _as_text(column: pd.Series) -> pd.Series:
    """Values as the text a person would read: whole-number floats without ``.0``."""
    filled = column.dropna()
    if pd.api.types.is_float_dtype(filled):
        whole = np.isfinite(filled) & (filled == np.floor(filled))
        if bool(whole.all()):
            return filled.astype("int64").astype(str)
    if pd.api.types.is_numeric_dtype(filled) or pd.api.types.is_datetime64_any_dtype(filled):
        return filled.astype(str)
    return filled.astype(str).str.strip()


def _probe(column: pd.Series) -> list[str]:
    text = _as_text(column)
    text = text[text != ""]
    unique = pd.unique(text.to_numpy())
    if len(unique) > PROBE:
        rng = np.random.default_rng(0)
        unique = unique[np.sort(rng.choice(len(unique), PROBE, replace=False))]
    return [str(v) for v in unique]


def detect_personal(frame: pd.DataFrame) -> tuple[PersonalColumn, ...]:
    """The columns of a table holding personal data, by header and by values.

    A header naming a kind (``email``, ``手机号``, ``身份证号``, ``Customer Name`` …) needs half
    of the values probed to look like it; without such a header, e-mails, phones, national IDs,
    card numbers, social-insurance numbers (``123-45-6789``), IPs and street addresses need 80%.
    Person names are found by their header only: a column of words is as likely product names.
    Dates and plain amounts are never personal. Order numbers and SKUs do not look like any kind.

    Examples
    --------
    >>> frame = pd.DataFrame({"mail": ["a@example.com", "b@example.org"], "price": [1.5, 2.0]})
    >>> [(p.column, p.kind) for p in detect_personal(frame)]
    [('mail', 'email')]
    """
    found: list[PersonalColumn] = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_float_dtype(series) and not bool(
            (series.dropna() == np.floor(series.dropna())).all()
        ):
            continue  # amounts with cents
        values = _probe(series)
        if not values:
            continue
        named = _header_kind(column)
        hit: PersonalColumn | None = None
        if named is not None:
            share = float(np.mean([_WITH_NAME[named](v) for v in values]))
            if share >= NAMED_SHARE:
                hit = PersonalColumn(str(column), named, "name and content", share)
        if hit is None:
            for kind in _BY_CONTENT_ALONE:
                share = float(np.mean([_CONTENT[kind](v) for v in values]))
                if share >= CONTENT_SHARE:
                    found_by = "name and content" if kind == named else "content"
                    hit = PersonalColumn(str(column), kind, found_by, share)
                    break
        if hit is None and named in _DIGITS_ENOUGH:
            # A header such as "phone" over numbers in a shape not recognised (2125557818,
            # "(26) 642-7555"): trusted when most values hold enough digits to be one.
            share = float(np.mean([_DIGITS_ENOUGH[named](v) for v in values]))
            if share >= NAMED_SHARE:
                hit = PersonalColumn(str(column), named, "name", share)
        if hit is not None and hit.kind == "national_id":
            shaped = [v for v in values if _id_shape(v.upper())]
            failing = sum(not china_id_valid(v) for v in shaped)
            if failing:
                hit = PersonalColumn(
                    hit.column,
                    hit.kind,
                    hit.found_by,
                    hit.share,
                    _(
                        "{failing} of the {n} numbers looked at fail their check character "
                        "(mistyped or made up); they are treated the same."
                    ).format(failing=f"{failing:,}", n=f"{len(shaped):,}"),
                )
        if hit is not None:
            found.append(hit)
    return tuple(found)


# --- pseudonyms ------------------------------------------------------------------------------------


def privacy_key(
    configured: str | None = None, *, key_file: str | os.PathLike[str] | None = None
) -> tuple[bytes, str]:
    """The deployment's pseudonym secret, and where it came from, in words.

    In order: ``configured`` (the app passes ``[marketlens.privacy] secret`` of secrets.toml),
    ``$MARKETLENS_PRIVACY_SECRET``, else a random secret generated once and kept in
    ``data/privacy.key`` (or ``$MARKETLENS_PRIVACY_KEY_FILE``), readable only by the server's
    user. Servers that must give the same pseudonyms should share one secret.
    """
    if configured:
        return configured.encode("utf-8"), _("the secret set in .streamlit/secrets.toml")
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode("utf-8"), _("the secret in ${name}").format(
            name=SECRET_ENV
        )
    path = Path(key_file or os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise AnalyticsError(
            f"No pseudonym secret is set, and one cannot be kept in {path}: {exc.strerror}.",
            hint=f"Set ${SECRET_ENV}, or [marketlens.privacy] secret in .streamlit/secrets.toml.",
        ) from exc
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    secret = path.read_text().strip()
    if not secret:
        raise AnalyticsError(
            f"The pseudonym secret file {path} is empty.",
            hint=f"Delete it (a new one is made) or set ${SECRET_ENV}.",
        )
    return secret.encode("utf-8"), _("a secret generated for this server ({file})").format(
        file=path.name
    )


def normalise(value: str, kind: str) -> str:
    """The form of a value that is hashed: the same customer written two ways hashes the same
    (e-mails in any case, phones with or without +86 and separators, card digits only)."""
    text = " ".join(str(value).split())
    if kind == "email":
        return text.lower()
    if kind in {"phone", "bank_card"}:
        digits = re.sub(r"\D", "", text)
        if kind == "phone" and len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        elif kind == "phone" and len(digits) == 15 and digits.startswith("0086"):
            digits = digits[4:]
        return digits or text
    if kind == "national_id":
        return text.upper()
    return text


def pseudonym(value: str, key: bytes) -> str:
    """The keyed hash of an already normalised value: ``p-`` and 16 hex digits (64 bits)."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


def pseudonymise(column: pd.Series, key: bytes, kind: str) -> tuple[pd.Series, dict[str, str]]:
    """A column's values replaced by their pseudonyms (empty cells stay empty), and the
    pseudonym → original pairs. Each distinct value is hashed once."""
    text = _as_text(column)
    unique = pd.unique(text.to_numpy())
    table = {str(v): pseudonym(normalise(str(v), kind), key) for v in unique}
    out = pd.Series(pd.NA, index=column.index, dtype="str")
    out.loc[text.index] = text.map(table).to_numpy()
    originals = {p: v for v, p in table.items()}
    return out, originals


# --- doing it -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protected:
    """A table after :func:`protect`.

    Attributes
    ----------
    frame : pandas.DataFrame
        Identifiers pseudonymised, other personal columns dropped (unless chosen otherwise).
    steps : tuple of PrivacyStep
        What was done to each column.
    originals : dict
        Pseudonym → original value, for putting identifiers back into one export on request.
        Keep it in the session only: never save, log or share it.
    """

    frame: pd.DataFrame
    steps: tuple[PrivacyStep, ...]
    originals: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return any(step.action != "keep" for step in self.steps)


def protect(
    frame: pd.DataFrame,
    key: bytes,
    *,
    actions: Mapping[str, str] | None = None,
    also: Sequence[str] = (),
    found: Sequence[PersonalColumn] | None = None,
) -> Protected:
    """Pseudonymise identifiers and drop other personal columns of a table.

    Parameters
    ----------
    frame : pandas.DataFrame
    key : bytes
        The deployment's secret (:func:`privacy_key`).
    actions : mapping, optional
        The user's choice per personal column (``"pseudonymise"``, ``"drop"`` or ``"keep"``),
        over the defaults: identifiers pseudonymised, other kinds dropped.
    also : sequence of str
        Other columns to pseudonymise (a customer number the user wants hidden too).
    found : sequence of PersonalColumn, optional
        What :func:`detect_personal` found, if already known.
    """
    actions = dict(actions or {})
    bad = {a for a in actions.values() if a not in ACTIONS}
    if bad:
        raise AnalyticsError(
            f"Unknown privacy action {sorted(bad)[0]!r}: use one of {', '.join(ACTIONS)}."
        )
    detected = list(detect_personal(frame) if found is None else found)
    names = {p.column for p in detected}
    detected += [
        PersonalColumn(str(c), "chosen", "your choice", 1.0)
        for c in also
        if c in frame.columns and c not in names
    ]
    steps: list[PrivacyStep] = []
    originals: dict[str, str] = {}
    replaced: dict[str, pd.Series] = {}
    dropped: list[str] = []
    for personal in detected:
        action = actions.get(personal.column, personal.default_action)
        steps.append(
            PrivacyStep(personal.column, personal.kind, personal.found_by, action, personal.detail)
        )
        if action == "pseudonymise":
            replaced[personal.column], pairs = pseudonymise(
                frame[personal.column], key, personal.kind
            )
            originals.update(pairs)
        elif action == "drop":
            dropped.append(personal.column)
    out = frame
    if replaced:
        out = out.assign(**replaced)
    if dropped:
        out = out.drop(columns=dropped)
    return Protected(out, tuple(steps), originals)


def protected_notes(notes: Sequence[str], steps: Sequence[PrivacyStep]) -> tuple[str, ...]:
    """Reading notes without the personal values they quote (a note about a protected column)."""
    hidden = {step.column for step in steps if step.action != "keep"}
    out = []
    for note in notes:
        column = next((c for c in hidden if note.startswith(f"{c}:") or f"{c!r}" in note), None)
        out.append(
            f"{column}: a note quoting its values is left out (personal data)." if column else note
        )
    return tuple(out)


def reattach(frame: pd.DataFrame, originals: Mapping[str, str]) -> pd.DataFrame:
    """An export with the original value put back beside every pseudonymised column (and index).

    Only for the user who asked, in the session that read the file: the result holds personal data.
    """
    if not originals:
        return frame
    out = (
        frame.reset_index()
        if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex)
        else frame.copy()
    )
    for column in list(out.columns):
        values = out[column]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        probe = values.dropna().astype(str).head(50)
        if probe.empty or not probe.str.startswith(PSEUDONYM_PREFIX).all():
            continue
        position = list(out.columns).index(column) + 1
        out.insert(
            position,
            f"{column} (original)",
            values.map(lambda v: originals.get(str(v), v) if isinstance(v, str) else v),
        )
    return out


def privacy_summary(steps: Sequence[PrivacyStep]) -> pd.DataFrame:
    """What was done to which column, as a table for the Data page and the report."""
    return pd.DataFrame(
        {
            _("Column"): [s.column for s in steps],
            _("Holds"): [_(PERSONAL_KINDS.get(s.holds, s.holds)) for s in steps],
            _("Found by"): [_(FOUND_BY.get(s.found_by, s.found_by)) for s in steps],
            _("Done"): [_(ACTIONS[s.action]) for s in steps],
            _("Note"): [s.detail for s in steps],
        }
    )
