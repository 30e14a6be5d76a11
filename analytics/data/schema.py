"""Dataset kinds, column roles and the mapped dataset every analysis takes.

A table read by :mod:`analytics.data.io` becomes a :class:`Dataset` in two steps:
``detect_kind`` / ``detect_mapping`` propose what the table is and which column plays which role
(from header names in English and Chinese, and from the values); the user confirms or overrides;
``build_dataset`` then renames the role columns to their role names, gives them one type each
(identifiers as text, amounts as numbers, dates as timestamps) and fingerprints the result.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Literal, get_args

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError

Kind = Literal["transactions", "baskets", "customers", "series"]
KINDS: tuple[Kind, ...] = get_args(Kind)
KIND_LABELS: dict[str, str] = {
    "transactions": "Transactions (one row per order line)",
    "baskets": "Baskets (one row per basket, or basket id + item)",
    "customers": "Customers (one row per customer with attributes)",
    "series": "Series (one row per period with a value)",
}

#: The single-column roles of each kind, in the order the Data page shows them.
KIND_ROLES: dict[str, tuple[str, ...]] = {
    "transactions": (
        "order_id",
        "customer_id",
        "timestamp",
        "time",
        "product",
        "product_name",
        "category",
        "quantity",
        "unit_price",
        "revenue",
        "status",
        "paid",
        "refund",
    ),
    "baskets": ("basket_id", "item"),
    "customers": ("customer_id",),
    "series": ("timestamp", "value"),
}
ROLE_LABELS: dict[str, str] = {
    "order_id": "Order / invoice",
    "customer_id": "Customer",
    "timestamp": "Date",
    "time": "Time of day (own column)",
    "product": "Product id",
    "product_name": "Product name",
    "category": "Category",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "revenue": "Revenue (line total)",
    "basket_id": "Basket id",
    "item": "Item",
    "value": "Value",
    "status": "Order / payment status",
    "paid": "Paid at (payment time or flag)",
    "refund": "Refunded amount",
}
NUMERIC_ROLES = frozenset({"quantity", "unit_price", "revenue", "value", "refund"})
#: Roles that describe a whole order: in exports that write them on an order's first line only
#: (Shopify), the other lines of the order take them over.
ORDER_ROLES = ("status", "paid", "refund")
ID_ROLES = frozenset({"customer_id", "order_id", "product", "basket_id"})


def without_accents(text: str) -> str:
    """Text in compatibility form without accents: ``"Remboursé"`` → ``"Rembourse"``, full-width
    ``"Ｉｄ"`` → ``"Id"``."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _norm(name: object) -> str:
    """Lower-case a header, drop accents, spaces and punctuation: ``"Catégorie"`` → ``"categorie"``,
    ``"Customer ID"`` → ``"customerid"``; full-width letters become plain ones."""
    text = without_accents(str(name).strip().lower())
    return re.sub(r"[\s_\-./()#:：（）'’]+", "", text)


# fmt: off
_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customerid", "customer", "custid", "customerno", "customernumber", "customercode",
        "clientid", "client", "userid", "user", "memberid", "member", "buyerid", "shopperid",
        "accountid", "kunde", "kundennummer", "kundenid", "客户id", "客户编号", "客户号", "客户代码", "客户",
        "会员id", "会员编号", "会员", "用户id", "用户", "顾客id", "顾客编号", "顾客", "买家id",
        "会员卡号", "社保卡号", "卡号", "买家会员名", "买家昵称", "买家", "kundennr", "idclient",
        "numeroclient", "codeclient", "cliente", "idcliente", "codcliente", "codigocliente",
        "numerocliente", "clientecodigo", "email", "emailaddress", "customeremail",
        "billingemail", "邮箱", "电子邮箱",
    ),
    "order_id": (
        "invoice", "invoiceno", "invoicenumber", "invoiceid", "orderid", "order", "orderno",
        "ordernumber", "ordercode", "transactionid", "transaction", "transactionno", "receipt",
        "receiptno", "receiptid", "billno", "ticketid", "rechnung", "rechnungsnummer",
        "bestellnummer", "订单号", "订单编号", "订单id", "订单", "发票号", "发票编号", "交易号", "交易编号", "交易id", "单号",
        "小票号", "订单编码", "流水号", "交易流水号", "bestellung", "auftragsnummer", "belegnummer",
        "commande", "numerocommande", "nocommande", "idcommande", "facture", "numerofacture",
        "pedido", "numeropedido", "idpedido", "factura", "numerofactura", "fatura", "numerofatura",
    ),
    "timestamp": (
        "invoicedate", "orderdate", "date", "datetime", "timestamp", "time", "purchasedate",
        "transactiondate", "transactiontime", "saledate", "salesdate", "createdat", "orderedat",
        "ordertime", "orderdatetime", "purchasetime", "day", "week", "month", "period", "ds",
        "datum", "rechnungsdatum", "bestelldatum", "日期", "订单日期", "下单日期", "下单时间", "时间", "交易日期",
        "交易时间", "购买日期", "购买时间", "销售日期", "月份", "月", "订单创建时间", "创建时间",
        "成交时间", "购药时间", "销售时间", "bestellzeit", "datecommande", "datefacture", "fecha",
        "fechapedido", "fechafactura", "fechaventa", "data", "datapedido", "datacompra",
        "datavenda",
    ),
    "time": (
        "time", "timeofday", "hour", "clock", "uhrzeit", "heure", "hora", "时间", "时刻", "时分",
        "下单时间", "交易时间", "购买时间",
    ),
    "product": (
        "stockcode", "sku", "productid", "productcode", "productno", "itemid", "itemcode", "itemno",
        "articleid", "articleno", "article", "ean", "upc", "barcode", "artikelnummer", "商品编码",
        "商品编号", "商品id", "产品编号", "产品编码", "产品id", "货号", "物料编码", "artikelnr",
        "produktnummer", "reference", "codeproduit", "refproduit", "codigoproducto",
        "codigoproduto", "codproduto", "referencia", "商品码", "商品代码", "货品编码", "条形码", "条码",
    ),
    "product_name": (
        "description", "productname", "product", "itemname", "item", "producttitle", "title",
        "productdescription", "itemdescription", "productdesc", "articlename", "goods", "artikel",
        "bezeichnung", "商品名称", "商品", "产品名称", "产品", "品名", "描述", "商品描述", "宝贝标题",
        "produkt", "produktname", "artikelbezeichnung", "produit", "nomproduit", "designation",
        "libelle", "producto", "nombreproducto", "descripcion", "produto", "nomeproduto",
        "descricao",
    ),
    "category": (
        "category", "productcategory", "itemcategory", "department", "productgroup", "productline",
        "productfamily", "categoryname", "类别", "品类", "商品类别", "类目", "分类", "产品类别",
        "kategorie", "warengruppe", "categorie", "categoria", "familia",
    ),
    "quantity": (
        "quantity", "qty", "units", "unitssold", "quantityordered", "qtyordered", "pieces", "menge",
        "anzahl", "数量", "购买数量", "销售数量", "件数", "宝贝数量", "商品数量", "stuck", "numberof",
        "numitems", "itemcount",
        "stuckzahl", "quantite", "qte", "cantidad", "unidades", "quantidade", "qtde",
    ),
    "unit_price": (
        "price", "unitprice", "priceeach", "saleprice", "sellingprice", "priceperunit", "itemprice",
        "preis", "einzelpreis", "单价", "价格", "售价", "销售单价", "stuckpreis", "prix",
        "prixunitaire", "precio", "preciounitario", "preco", "precounitario", "valorunitario",
    ),
    "revenue": (
        # Amounts actually paid come before gross ones, so that a file with both maps the net.
        "买家实际支付金额", "实际支付金额", "实收金额", "实付金额", "revenue", "sales", "salesamount", "amount", "total", "totalprice", "totalamount",
        "lineamount", "linetotal", "linerevenue", "netsales", "grosssales", "turnover", "subtotal",
        "umsatz", "betrag", "销售额", "金额", "总价", "总金额", "收入", "营业额", "销售金额", "成交金额",
        "订单金额", "应收金额", "gesamtbetrag", "nettobetrag", "montant", "montantht",
        "montantttc", "chiffredaffaires", "importe", "importetotal", "ventas", "valor",
        "valortotal", "receita", "faturamento", "vendas", "dollarvalue", "dollaramount", "dollars",
        "spend", "amountspent", "purchaseamount", "ordervalue", "salesvalue",
    ),
    "value": (
        "value", "y", "passengers", "sales", "revenue", "amount", "total", "count", "demand",
        "volume", "数值", "销量", "销售额", "umsatz", "ventas", "vendas",
    ),
    "status": (
        "financialstatus", "paymentstatus", "orderstatus", "status", "订单状态", "交易状态",
        "支付状态", "付款状态", "zahlungsstatus", "bestellstatus", "statut", "statutcommande",
        "estado", "estadopedido", "situacao", "statuspedido",
    ),
    "paid": (
        "paidat", "paidon", "datepaid", "paymentdate", "paymenttime", "paid", "订单付款时间",
        "付款时间", "支付时间", "付款日期", "bezahltam", "zahlungsdatum", "datepaiement",
        "fechapago", "fechadepago", "datapagamento",
    ),
    "refund": (
        "refundedamount", "refundamount", "amountrefunded", "refund", "refunds", "totalrefunded",
        "退款金额", "退款", "erstattungsbetrag", "erstattung", "montantrembourse", "rembourse",
        "reembolso", "importereembolsado", "valorreembolsado",
    ),
    "basket_id": (
        "basket", "basketid", "transaction", "transactionid", "orderid", "order", "invoice",
        "invoiceno", "receipt", "receiptid", "tid", "购物篮", "订单号", "交易号",
    ),
    "item": (
        "item", "items", "product", "productname", "itemname", "description", "article", "goods",
        "商品", "商品名称", "产品",
    ),
}
_DIMENSION_ALIASES = (
    "country", "region", "channel", "city", "state", "province", "store", "shop", "market",
    "segment", "source", "platform", "device", "brand", "salesrep", "territory", "gender", "genre",
    "land", "kanal", "国家", "地区", "渠道", "城市", "省份", "省", "门店", "店铺", "平台", "品牌", "性别",
)
# fmt: on
_IDENTIFIER_EXTRA = (
    "zip",
    "zipcode",
    "postcode",
    "postalcode",
    "phone",
    "telephone",
    "邮编",
    "电话",
)
_ID_SUFFIX = re.compile(
    r"(?:^|[\s_\-])(?:id|no|code|number|nr)$|[a-z]id$|编号$|代码$|号$", re.IGNORECASE
)


def looks_like_identifier(header: str) -> bool:
    """Whether a header names an identifier column, whose values must stay text (``"0001"``)."""
    key = _norm(header)
    if not key:
        return False
    if any(key in _ALIASES[role] for role in ("customer_id", "order_id", "product", "basket_id")):
        return True
    return key in _IDENTIFIER_EXTRA or bool(_ID_SUFFIX.search(str(header).strip()))


@dataclass(frozen=True)
class ColumnMapping:
    """Which of the user's columns plays which role.

    Roles not in use are ``None``. Transactions use ``order_id`` … ``revenue`` and ``dimensions``;
    customers use ``customer_id`` (every other column is an attribute); series use ``timestamp``
    and ``value``; baskets use either ``basket_id`` + ``item`` (long format) or ``items`` (one basket
    per row, items spread over these columns, or in one column split by ``item_separator``, or
    one 0/1 column per item when ``one_hot``).

    ``dayfirst`` says how to read dates such as 1/3/2019: ``None`` decides from the data,
    ``False`` reads month first (January 3), ``True`` day first (1 March). ``time`` is a column of
    times of day (``09:58:11``) added to the dates of ``timestamp`` when a file keeps them apart.
    ``status`` (Shopify's Financial Status, 订单状态), ``paid`` (a payment time, or a paid flag)
    and ``refund`` (退款金额) describe whole orders: they mark returns and unpaid orders.
    """

    order_id: str | None = None
    customer_id: str | None = None
    timestamp: str | None = None
    product: str | None = None
    product_name: str | None = None
    category: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    revenue: str | None = None
    value: str | None = None
    basket_id: str | None = None
    item: str | None = None
    items: tuple[str, ...] = ()
    item_separator: str | None = None
    one_hot: bool = False
    dimensions: tuple[str, ...] = ()
    dayfirst: bool | None = None
    time: str | None = None
    status: str | None = None
    paid: str | None = None
    refund: str | None = None

    def roles(self) -> dict[str, str]:
        """The single-column roles in use, role → column."""
        return {
            f.name: value
            for f in fields(self)
            if f.name in ROLE_LABELS and (value := getattr(self, f.name)) is not None
        }

    def with_roles(self, **changes: object) -> ColumnMapping:
        """A copy with some roles changed, e.g. ``mapping.with_roles(customer_id="Client")``."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> list[str]:
        """Lines such as ``"Invoice → order_id"`` for reports and the CLI."""
        lines = [f"{column} → {role}" for role, column in self.roles().items()]
        lines += [f"{column} → dimension" for column in self.dimensions]
        if self.items:
            lines.append(f"{len(self.items)} item column(s) → items")
        return lines


@dataclass(frozen=True)
class KindGuess:
    """The proposed kind of a table and why."""

    kind: Kind
    reasons: tuple[str, ...]
    confident: bool = True


@dataclass(frozen=True)
class DateParse:
    """How a date column was read.

    Attributes
    ----------
    values : pandas.Series
        Timestamps (NaT where a cell could not be read).
    format : str
        The format that matched, e.g. ``"%m/%d/%Y %H:%M"``, or ``"ISO 8601"``.
    dayfirst : bool or None
        Day before month (True), month before day (False), or not applicable.
    ambiguous : bool
        Whether every value read equally well both ways, so the order was a choice.
    n_unparsed : int
        Filled cells that are not dates.
    """

    values: pd.Series
    format: str
    dayfirst: bool | None
    ambiguous: bool
    n_unparsed: int

    def describe(self) -> str:
        if self.format == "dates":
            return "Dates are stored as dates in the file."
        if self.dayfirst is None:
            return f"Dates read as {self.format}."
        order = (
            "day first (1/3/2019 = 1 March 2019)"
            if self.dayfirst
            else "month first (1/3/2019 = January 3, 2019)"
        )
        text = f"Dates read {order}."
        if self.ambiguous:
            text += " The data fits both orders; flip it if that is wrong."
        return text


@dataclass(frozen=True, eq=False)
class Dataset:
    """A mapped dataset: the one object every analysis takes.

    Attributes
    ----------
    frame : pandas.DataFrame
        Role columns renamed to their role names and typed (transactions always have ``revenue``;
        baskets are long: ``basket_id``, ``item``); other columns keep their names. Read-only.
    kind : str
        One of ``KINDS``.
    mapping : ColumnMapping
        The user's columns behind the roles.
    source : str
        Where the data came from (a file name).
    fingerprint : str
        A content hash of ``frame`` and ``kind``; it keys every cache.
    notes : tuple of str
        What a user should know about how the columns were read.
    dates : DateParse or None
        How the date column was read.
    currency : str or None
        The ISO code of the money columns' currency where the file says it (a currency column
        with one value, or a symbol or code in the amount's header), else None.
    """

    frame: pd.DataFrame
    kind: Kind
    mapping: ColumnMapping
    source: str
    fingerprint: str
    notes: tuple[str, ...] = ()
    dates: DateParse | None = field(default=None, repr=False)
    currency: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(d for d in self.mapping.dimensions if d in self.frame.columns)

    def has(self, *roles: str) -> bool:
        """Whether the frame has every one of these role columns with at least one value."""
        return all(role in self.frame.columns and self.frame[role].notna().any() for role in roles)

    def replace_frame(self, frame: pd.DataFrame, *, notes: Iterable[str] = ()) -> Dataset:
        """The same dataset with other rows (after cleaning or filtering), fingerprinted anew."""
        return Dataset(
            frame=frame,
            kind=self.kind,
            mapping=self.mapping,
            source=self.source,
            fingerprint=fingerprint(frame, self.kind),
            notes=self.notes + tuple(notes),
            dates=self.dates,
            currency=self.currency,
        )


def fingerprint(frame: pd.DataFrame, kind: str = "") -> str:
    """A content hash of a frame: equal frames give equal fingerprints, in any session."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(kind.encode())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


# --- detection -----------------------------------------------------------------------------------


_CJK = re.compile(r"[\u4e00-\u9fff]{2}")


def _name_score(column: str, role: str) -> int:
    key = _norm(column)
    aliases = _ALIASES[role]
    if key in aliases:
        return 3 + (len(aliases) - aliases.index(key)) / (10 * len(aliases))  # type: ignore[return-value]
    if any(
        (len(a) >= 4 or (len(a) >= 2 and _CJK.match(a))) and (key.startswith(a) or key.endswith(a))
        for a in aliases
    ):
        return 2
    return 0


def parse_numbers(values: pd.Series) -> pd.Series:
    """Read numbers written as text: ``"1,234.5"``, ``"1.234,5"``, ``"1 234"``, ``" 42 "``.

    The last ``,`` or ``.`` followed by one, two or more than three digits is the decimal mark;
    the other marks are thousands separators. Cells that are not numbers become NaN.
    """
    text = values.astype("str").str.strip().str.replace(r"[\s']", "", regex=True)
    comma_decimal = text.str.contains(r",\d{1,2}$|,\d{4,}$", regex=True) | text.str.contains(
        r"\.\d{3},", regex=True
    )
    cleaned = text.where(comma_decimal, text.str.replace(",", "", regex=False))
    cleaned = cleaned.where(
        ~comma_decimal, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    )
    return pd.to_numeric(cleaned, errors="coerce")


def _is_numeric_like(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    sample = col.dropna().head(500)
    return len(sample) > 0 and parse_numbers(sample.astype(str)).notna().mean() >= 0.9


def _date_share(col: pd.Series, *, named: bool = False) -> float:
    """Share of a column's values (a sample) that read as dates: as dates, as text, as yyyymmdd
    numbers, or (only when its header names a date, ``named``) as Excel day numbers, which any
    amount could look like."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return 1.0
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        sample = col.dropna().head(500)
        if sample.empty:
            return 0.0
        read = _numeric_dates(sample)
        if read.format == "yyyymmdd numbers" or (named and read.format == "Excel day numbers"):
            return 1.0 - read.n_unparsed / len(sample)
        return 0.0
    if not (pd.api.types.is_string_dtype(col) or col.dtype == object):
        return 0.0
    sample = col.dropna().drop_duplicates().head(200)
    if sample.empty:
        return 0.0
    text = sample.astype(str).str.strip()
    if text.str.fullmatch(r"\d+").mean() >= 0.9:
        # Codes such as "05007" are no dates; only yyyymmdd written as text is.
        return _share(text, "%Y%m%d")
    return 1.0 - parse_dates(text).n_unparsed / len(sample)


def _is_date_like(col: pd.Series, *, named: bool = False) -> bool:
    """Whether at least 90% of a column's values read as dates (see :func:`_date_share`)."""
    return _date_share(col, named=named) >= 0.9


_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?\s*$")


_YES = frozenset({"yes", "y", "true", "1", "paid", "是", "已付款", "ja", "oui", "si", "sim"})
_NO = frozenset({"no", "n", "false", "0", "unpaid", "否", "未付款", "nein", "non", "nao"})


def _is_flag(col: pd.Series) -> bool:
    """Whether a column holds yes/no values only (booleans, 0/1, yes/no words)."""
    if pd.api.types.is_bool_dtype(col):
        return True
    values = {_norm(v) for v in col.dropna().unique()[:20]}
    return bool(values) and values <= (_YES | _NO)


def _is_time_of_day(col: pd.Series) -> bool:
    """Whether a text column holds times of day only (``09:58:11``, ``7:45 PM``), no dates."""
    if not (pd.api.types.is_string_dtype(col) or col.dtype == object):
        return False
    sample = col.dropna().astype("str").head(500)
    return len(sample) > 0 and sample.str.match(_TIME_OF_DAY).mean() >= 0.9


def parse_times(values: pd.Series) -> pd.Series:
    """Times of day as durations since midnight: ``"09:58"`` → 9 h 58 min; others → NaT."""
    text = values.astype("str").str.strip().str.upper().str.replace(".", "", regex=False)
    text = text.where(values.notna() & text.str.match(_TIME_OF_DAY))
    twelve = text.str.endswith(("AM", "PM"), na=False)
    clock = text.str.replace(r"\s*[AP]M$", "", regex=True)
    clock = clock.where(clock.str.count(":") == 2, clock + ":00")
    out = pd.to_timedelta(clock, errors="coerce")
    if twelve.any():
        hours = out[twelve].dt.components.hours
        shift = np.where(text[twelve].str.endswith("PM"), 12, 0) - np.where(hours == 12, 12, 0)
        out[twelve] = out[twelve] + pd.to_timedelta(shift, unit="h")
    return out


def _fits(col: pd.Series, role: str) -> bool:
    if col.isna().all():
        return False
    if role in NUMERIC_ROLES:
        return _is_numeric_like(col)
    if role == "timestamp":
        return not _is_time_of_day(col) and _is_date_like(col, named=True)
    if role == "time":
        return _is_time_of_day(col)
    if role == "status":
        return not pd.api.types.is_numeric_dtype(col) and col.dropna().nunique() <= 50
    if role == "paid":
        return _is_date_like(col) or _is_flag(col)
    if role in ("product_name", "category", "item"):
        return not pd.api.types.is_float_dtype(col)
    if role in ID_ROLES:
        # "Dt_Customer" ends in "customer" but holds the day the customer joined.
        return pd.api.types.is_numeric_dtype(col) or not _is_date_like(col)
    return True


def detect_mapping(
    frame: pd.DataFrame, kind: Kind | None = None, *, header: bool = True
) -> ColumnMapping:
    """Propose which column plays which role, from header names first and values second.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read by :func:`analytics.data.io.load_table`.
    kind : str, optional
        The kind to map for; detected when omitted.
    header : bool
        False for tables read without a header row (one basket per line).

    Returns
    -------
    ColumnMapping

    Example
    -------
    >>> frame = pd.DataFrame({"订单号": ["A1"], "客户ID": ["C1"], "日期": ["2019年1月3日"], "金额": [9.5]})
    >>> detect_mapping(frame, "transactions").roles()["customer_id"]
    '客户ID'
    """
    kind = kind or detect_kind(frame, header=header).kind
    if kind == "baskets":
        return _detect_basket_mapping(frame, header=header)
    roles = KIND_ROLES[kind]
    if kind == "customers":
        roles = ("customer_id",)
    candidates: list[tuple[float, int, str, str]] = []
    for position, column in enumerate(frame.columns):
        for role in roles:
            score = _name_score(column, role)
            if score:
                candidates.append((score, -position, str(column), role))
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for _score, _pos, column, role in sorted(candidates, reverse=True):
        if role in chosen or column in used or not _fits(frame[column], role):
            continue
        chosen[role] = column
        used.add(column)
    # Values, when names say nothing: order numbers written #1001 (Shopify's "Name"), the first
    # date column, the first numeric value.
    if "order_id" in roles and "order_id" not in chosen:
        for column in frame.columns:
            if str(column) not in used and _is_order_number(frame[column]):
                chosen["order_id"] = str(column)
                used.add(str(column))
                break
    if "timestamp" in roles and "timestamp" not in chosen:
        for column in frame.columns:
            if (
                column not in used
                and not looks_like_identifier(str(column))
                and _is_date_like(frame[column])
            ):
                chosen["timestamp"] = str(column)
                used.add(str(column))
                break
    if kind == "series" and "value" not in chosen:
        for column in frame.columns:
            if column not in used and _is_numeric_like(frame[column]):
                chosen["value"] = str(column)
                used.add(str(column))
                break
    if kind == "customers" and "customer_id" not in chosen:
        for column in frame.columns:
            col = frame[column]
            if looks_like_identifier(str(column)) and col.notna().all() and col.is_unique:
                chosen["customer_id"] = str(column)
                used.add(str(column))
                break
    dimensions: tuple[str, ...] = ()
    if kind == "transactions":
        dimensions = tuple(
            str(c) for c in frame.columns if str(c) not in used and _is_dimension(frame[c], str(c))
        )
    return ColumnMapping(**chosen, dimensions=dimensions)  # type: ignore[arg-type]


def _is_order_number(col: pd.Series) -> bool:
    """Whether a text column holds order numbers of the form ``#1001``."""
    if not (pd.api.types.is_string_dtype(col) or col.dtype == object):
        return False
    sample = col.dropna().astype("str").head(500)
    return len(sample) > 0 and sample.str.match(r"^#\d+$").mean() >= 0.95


def _is_dimension(col: pd.Series, name: str) -> bool:
    if _norm(name) in _DIMENSION_ALIASES or any(
        _norm(name).startswith(a) for a in _DIMENSION_ALIASES if len(a) > 4
    ):
        return True
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return False
    filled = col.dropna()
    n_unique = filled.nunique()
    return 1 < n_unique <= min(50, max(2, len(filled) // 20))


def _detect_basket_mapping(frame: pd.DataFrame, *, header: bool) -> ColumnMapping:
    if not header:
        return ColumnMapping(items=tuple(str(c) for c in frame.columns))
    if wide := _wide_basket_columns(frame):
        return ColumnMapping(items=tuple(wide))
    if _one_hot_columns(frame):
        return ColumnMapping(items=tuple(_one_hot_columns(frame)), one_hot=True)
    basket = item = None
    for column in frame.columns:
        if basket is None and _name_score(str(column), "basket_id"):
            basket = str(column)
        elif item is None and _name_score(str(column), "item"):
            item = str(column)
    text_columns = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if basket and item:
        return ColumnMapping(basket_id=basket, item=item)
    if len(text_columns) == 1 or (len(text_columns) >= 1 and _separator(frame[text_columns[0]])):
        column = text_columns[0]
        return ColumnMapping(items=(column,), item_separator=_separator(frame[column]))
    return ColumnMapping(items=tuple(text_columns))


def _wide_basket_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a one-basket-per-row table with a header (``0,1,…,6`` or ``Item 1,…``):
    text columns sharing one vocabulary of items, rows ending in blanks as baskets do."""
    if frame.shape[1] < 3 or any(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns):
        return []
    sample = frame.head(2000)
    filled = sample.notna().to_numpy()
    # Padded at the end: no value after the first blank of a row.
    ragged_end = (np.diff(filled.astype(np.int8), axis=1) <= 0).all(axis=1)
    if ragged_end.mean() < 0.95 or filled.all(axis=1).mean() > 0.7:
        return []
    vocab = [set(sample[c].dropna().astype("str")) for c in sample.columns]
    shared = [
        len(v & set().union(*(w for j, w in enumerate(vocab) if j != i))) / len(v)
        for i, v in enumerate(vocab)
        if v
    ]
    return [str(c) for c in frame.columns] if shared and np.mean(shared) >= 0.5 else []


def _separator(col: pd.Series) -> str | None:
    sample = col.dropna().astype(str).head(300)
    for sep in (",", ";", "|", "/"):
        if len(sample) and sample.str.contains(re.escape(sep)).mean() >= 0.3:
            return sep
    return None


def _one_hot_columns(frame: pd.DataFrame) -> list[str]:
    columns = []
    for column in frame.columns:
        col = frame[column]
        if pd.api.types.is_bool_dtype(col) or (
            pd.api.types.is_numeric_dtype(col)
            and col.dropna().isin([0, 1]).all()
            and col.notna().any()
        ):
            columns.append(str(column))
    return columns if len(columns) >= 3 and len(columns) >= frame.shape[1] - 1 else []


def detect_kind(frame: pd.DataFrame, *, header: bool = True) -> KindGuess:
    """Say which of the four kinds a table most likely is, with the reasons.

    Example
    -------
    >>> detect_kind(pd.DataFrame({"Month": ["1949-01", "1949-02"], "Passengers": [112, 118]})).kind
    'series'
    """
    if not header:
        return KindGuess("baskets", ("Each line is a list of items with no header row.",))
    if _one_hot_columns(frame):
        return KindGuess(
            "baskets", ("Columns hold only 0/1 or yes/no values: one column per item.",)
        )
    if _wide_basket_columns(frame):
        return KindGuess(
            "baskets",
            (
                "Each row lists items across the columns, which share one set of values and end "
                "in blanks as baskets do.",
            ),
        )
    tx = detect_mapping(frame, "transactions")
    roles = tx.roles()
    money = [r for r in ("unit_price", "revenue", "quantity") if r in roles]
    if (
        "timestamp" in roles
        and money
        and any(r in roles for r in ("order_id", "product", "product_name", "customer_id"))
    ):
        found = ", ".join(
            f"{ROLE_LABELS[r].lower()} ({roles[r]})"
            for r in ("order_id", "customer_id", "product", "timestamp")
            if r in roles
        )
        return KindGuess(
            "transactions", (f"Found {found} and amounts ({', '.join(roles[r] for r in money)}).",)
        )
    series = detect_mapping(frame, "series")
    if "timestamp" in series.roles() and "value" in series.roles() and frame.shape[1] <= 3:
        stamps = frame[series.timestamp]
        if stamps.nunique() >= 0.9 * stamps.notna().sum():
            return KindGuess(
                "series", (f"One date per row ({series.timestamp}) with a value ({series.value}).",)
            )
    basket = _detect_basket_mapping(frame, header=True)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    amounts = [c for c in numeric if str(c) != basket.basket_id]
    if (
        basket.basket_id
        and basket.item
        and (not amounts or "timestamp" not in roles)
        and frame[basket.basket_id].duplicated().any()
    ):
        return KindGuess(
            "baskets",
            (
                f"One item per row ({basket.item}), grouped by transaction ({basket.basket_id}), "
                + ("with no amounts." if not amounts else "with no dates for sales analyses."),
            ),
        )
    if basket.item_separator and frame.shape[1] <= 2 and not numeric:
        return KindGuess(
            "baskets", (f"Each row lists items separated by {basket.item_separator!r}.",)
        )
    customers = detect_mapping(frame, "customers")
    problem = _order_lines_problem(frame, customers.customer_id, roles)
    if problem:
        return KindGuess("customers", (problem,), confident=False)
    if customers.customer_id:
        return KindGuess(
            "customers",
            (
                f"One row per customer ({customers.customer_id}) with {frame.shape[1] - 1} attribute(s).",
            ),
        )
    if len(numeric) >= 2:
        return KindGuess(
            "customers",
            ("No dates or orders; rows read as customers with numeric attributes.",),
            confident=False,
        )
    return KindGuess(
        "customers",
        (
            "No order, date or amount columns were recognised; pick the kind and the columns yourself.",
        ),
        confident=False,
    )


def _order_lines_problem(
    frame: pd.DataFrame, customer_id: str | None, tx: Mapping[str, str] | None = None
) -> str | None:
    """Why rows of this table look like order lines rather than one row per customer, if so.

    ``tx`` is the table's transactions mapping (role → column) when the caller has it already.
    """
    if customer_id is not None and customer_id in frame:
        ids = frame[customer_id].dropna()
        repeats = int(ids.duplicated().sum())
        if repeats:
            return (
                f"{customer_id} repeats ({repeats:,} of {len(ids):,} rows share an id with an "
                "earlier row), so rows are not one per customer: if they are order lines, read "
                "the file as transactions and map the date and amount columns."
            )
    if tx is None:
        tx = detect_mapping(frame, "transactions").roles()
    if "timestamp" in tx and any(r in tx for r in ("order_id", "product", "product_name")):
        found = ", ".join(
            tx[r] for r in ("order_id", "timestamp", "product", "product_name") if r in tx
        )
        return (
            f"The table has order-like columns ({found}): if each row is an order line, read it "
            "as transactions and map the amount column."
        )
    return None


def order_lines_problem(dataset: Dataset) -> AnalyticsError | None:
    """An error to raise when a customers dataset holds order lines, not one row per customer.

    Segments and Propensity treat each row of a customers table as a customer; clustering 6,577
    pharmacy order lines as if they were 6,577 customers gives figures that mean nothing.
    """
    if dataset.kind != "customers":
        return None
    column = "customer_id" if "customer_id" in dataset.frame else None
    problem = _order_lines_problem(dataset.frame, column)
    if problem is None:
        return None
    return AnalyticsError(
        "These rows look like order lines, not one row per customer. "
        + problem.replace("customer_id", dataset.mapping.customer_id or "customer_id", 1),
        hint="On the Data page, choose 'Transactions' as the kind of data.",
    )


@dataclass(frozen=True)
class RoleEvidence:
    """Why a column was given a role, in words, and whether that is sure enough to analyse.

    ``confident`` is False when the header does not name the role (the values alone chose it),
    when another column fits the role as well, or when the values contradict the role; the Data
    page then asks the user to confirm before any analysis runs on a guess.
    """

    role: str
    column: str
    evidence: str
    confident: bool


def role_evidence(
    frame: pd.DataFrame, kind: Kind, mapping: ColumnMapping
) -> tuple[RoleEvidence, ...]:
    """The evidence behind each role of a mapping: header and values, e.g. ``"the header names
    it; values repeat 3.2 times on average"`` or ``"chosen from the values; 100% parse as dates"``.

    Example
    -------
    >>> frame = pd.DataFrame({"Invoice": ["1", "1", "2"], "Day": ["2024-01-02"] * 3, "x": [1.5, 2.0, 3.0]})
    >>> [e.confident for e in role_evidence(frame, "transactions", detect_mapping(frame, "transactions"))]
    [True, True, False]
    """
    if kind == "baskets" and mapping.items:
        return ()
    roles = mapping.roles()
    out: list[RoleEvidence] = []
    for role, column in roles.items():
        if column not in frame:
            continue
        col = frame[column]
        score = _name_score(column, role)
        header = (
            "the header names it"
            if score >= 3
            else ("the header contains a word for it" if score else "chosen from the values")
        )
        facts, fits = _content_facts(col, role)
        rivals = [
            str(other)
            for other in frame.columns
            if str(other) != column
            and str(other) not in roles.values()
            and _name_score(str(other), role) >= max(score, 2)
            and _fits(frame[other], role)
        ]
        parts = [header, *facts]
        if rivals:
            parts.append(f"{', '.join(rivals[:2])} would fit too")
        confident = fits and not rivals and (score >= 3 or (score == 2 and bool(facts)))
        out.append(RoleEvidence(role, column, "; ".join(parts), confident))
    return tuple(out)


def _content_facts(col: pd.Series, role: str) -> tuple[list[str], bool]:
    """What the values of a column say about a role, and whether they fit it."""
    filled = col.dropna()
    if filled.empty:
        return ["the column is empty"], False
    if role == "timestamp":
        share = _date_share(filled, named=True)
        return [f"{share:.0%} parse as dates"], share >= 0.9
    if role == "time":
        share = filled.astype("str").str.match(_TIME_OF_DAY).mean()
        return [f"{share:.0%} are times of day"], share >= 0.9
    if role in NUMERIC_ROLES:
        numbers = as_number(filled)
        share = float(numbers.notna().mean())
        facts = [f"{share:.0%} are numbers"]
        if role in ("unit_price", "revenue", "refund") and share:
            cents = float((np.mod(numbers.dropna().abs() * 100, 100) != 0).mean())
            if cents:
                facts.append(f"{cents:.0%} have cents")
        return facts, share >= 0.9
    if role in ("order_id", "customer_id", "basket_id"):
        repeats = len(filled) / max(1, filled.nunique())
        facts = [f"values repeat {repeats:.1f} times on average"]
        text = filled.astype("str")
        if text.str.match(r"^0\d").any():
            facts.append("leading zeros kept")
        return facts, True
    if role == "paid":
        return [f"{float(_paid_flags(col).mean()):.0%} of rows are paid"], True
    return [f"{filled.nunique():,} distinct values"], True


# --- dates ---------------------------------------------------------------------------------------

_MONTH_FIRST = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%m-%d-%Y",
)
_DAY_FIRST = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
)
_OTHER = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y年%m月",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b-%y",
    "%b %Y",
    "%Y-%b",
)


def _share(sample: pd.Series, fmt: str) -> float:
    """Share of values this format reads as a plausible date (years 1800–2300: "0001" is an id)."""
    try:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return 0.0
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return float(parsed.dt.year.between(1800, 2300).mean())


def parse_dates(values: pd.Series, *, dayfirst: bool | None = None) -> DateParse:
    """Read dates in the formats people export: ISO, ``12/1/2009 7:45``, ``03.01.2019``, ``2019年1月3日``.

    The format is chosen on up to 2,000 distinct values. When a value such as 1/3/2019 reads both
    ways and no value settles it, month first (US exports) is chosen unless ``dayfirst`` says
    otherwise, and the result says the order was a choice.

    Parameters
    ----------
    values : pandas.Series
        Text (or already dates).
    dayfirst : bool, optional
        Force day-first (True) or month-first (False) reading of ambiguous formats.

    Returns
    -------
    DateParse

    Example
    -------
    >>> parse_dates(pd.Series(["1/3/2019", "2/4/2019"])).format
    '%m/%d/%Y'
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = (
            values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        )
        return DateParse(stamps, "dates", None, False, 0)
    filled = values.dropna()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return _numeric_dates(values)
    if pd.api.types.is_bool_dtype(values):
        return DateParse(_no_dates(values), "numbers", None, False, len(filled))
    codes, distinct = pd.factorize(values.astype("str").str.strip().where(values.notna()))
    uniques = _without_weekdays(pd.Series(distinct, dtype="str"))
    sample = uniques.iloc[:: max(1, len(uniques) // 2000)]
    fmt, chosen_dayfirst, ambiguous = _choose_format(sample, dayfirst)
    parsed = _apply_format(uniques, fmt).to_numpy()
    taken = (
        parsed[np.maximum(codes, 0)]
        if len(parsed)
        else np.full(len(codes), np.datetime64("NaT", "ns"))
    )
    taken[codes < 0] = np.datetime64("NaT")
    stamps = pd.Series(taken, index=values.index)
    n_unparsed = int(((codes >= 0) & stamps.isna().to_numpy()).sum())
    return DateParse(
        stamps,
        "ISO 8601" if fmt == "ISO8601" else ("mixed formats" if fmt == "mixed" else fmt),
        chosen_dayfirst,
        ambiguous,
        n_unparsed,
    )


#: A weekday written before or after a date: ``2016-01-01 星期五``, ``Fri, 01 Jan 2016``.
_WEEKDAY = re.compile(
    r"^(?:(?:星期|礼拜|周)[一二三四五六日天]|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)[,\s]+"
    r"|[,\s]*[(（]?(?:(?:星期|礼拜|周)[一二三四五六日天]|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)[)）]?$",
    re.IGNORECASE,
)
#: Day numbers 1 January 1950 … 31 December 2099 in Excel's calendar (day 1 = 1900-01-01).
_EXCEL_DAYS = (18264, 73415)


def _without_weekdays(uniques: pd.Series) -> pd.Series:
    """Distinct date texts with a leading or trailing weekday removed (the date says the day)."""
    if uniques.empty or not uniques.str.contains(_WEEKDAY).any():
        return uniques
    return uniques.str.replace(_WEEKDAY, "", regex=True).str.strip()


def _no_dates(values: pd.Series) -> pd.Series:
    return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")


def _numeric_dates(values: pd.Series) -> DateParse:
    """Dates stored as numbers: ``20160101`` (yyyymmdd) or Excel day numbers (``42370``)."""
    filled = values.dropna()
    whole = len(filled) > 0 and bool((np.mod(filled.to_numpy(dtype="float64"), 1) == 0).all())
    if whole and filled.between(19000101, 21001231).all():
        text = values.astype("Int64").astype("str").where(values.notna())
        stamps = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        n_unparsed = int(stamps.isna().sum() - values.isna().sum())
        if n_unparsed <= 0.1 * len(filled):
            return DateParse(stamps, "yyyymmdd numbers", None, False, n_unparsed)
    if len(filled) and filled.between(*_EXCEL_DAYS).all():
        stamps = pd.to_datetime(values, unit="D", origin="1899-12-30")
        return DateParse(stamps.astype("datetime64[ns]"), "Excel day numbers", None, False, 0)
    return DateParse(_no_dates(values), "numbers", None, False, len(filled))


def _apply_format(uniques: pd.Series, fmt: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(uniques, format=fmt, errors="coerce")
    except (ValueError, TypeError):  # offsets that differ between values
        parsed = pd.to_datetime(uniques, format=fmt, errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _choose_format(sample: pd.Series, dayfirst: bool | None) -> tuple[str, bool | None, bool]:
    """The format reading most of the sample: (format, day first?, was the order a choice?)."""
    if sample.empty:
        return "ISO8601", None, False
    shares = {fmt: _share(sample, fmt) for fmt in ("ISO8601", *_MONTH_FIRST, *_DAY_FIRST, *_OTHER)}
    top = max(shares.values())
    if top < 0.95 and _share(sample, "mixed") > top:
        # Several formats in one column: let pandas read each value on its own.
        return "mixed", None, False
    best_month = max(_MONTH_FIRST, key=shares.__getitem__)
    best_day = max(_DAY_FIRST, key=shares.__getitem__)
    if shares["ISO8601"] == top:
        return "ISO8601", None, False
    if shares[best_month] == shares[best_day] == top:
        # Every value reads both ways (1/3/2019): the user's choice, else month first as in US
        # exports. The user's choice only counts here; where the data settles it, the data wins.
        dayfirst = bool(dayfirst)
        return (best_day if dayfirst else best_month), dayfirst, True
    if shares[best_month] == top:
        return best_month, False, False
    if shares[best_day] == top:
        return best_day, True, False
    return max(_OTHER, key=shares.__getitem__), None, False


# --- building the dataset ------------------------------------------------------------------------


def as_identifier(col: pd.Series) -> pd.Series:
    """Identifiers as text: ``12417.0`` → ``"12417"``, blanks → missing."""
    if pd.api.types.is_float_dtype(col):
        whole = col.dropna()
        if (np.mod(whole.to_numpy(), 1) == 0).all():
            col = col.astype("Int64")
    text = tidy_text(col)
    blank = text == ""
    return text.where(~blank) if blank.any() else text


def tidy_text(col: pd.Series) -> pd.Series:
    """A column as text without surrounding blanks; missing values stay missing.

    A text column that has no surrounding blanks comes back as itself, not as a copy: a table of
    two million order lines shares its text with the dataset built from it (a quarter of a
    gigabyte less per session).
    """
    text = col if pd.api.types.is_string_dtype(col) and col.dtype != object else col.astype("str")
    stripped = text.str.strip()
    text = text if stripped.equals(text) else stripped
    return text.where(col.notna()) if text.isna().sum() != col.isna().sum() else text


def as_number(col: pd.Series) -> pd.Series:
    """Numbers from numbers or text (``"1,234.50"``); anything else becomes NaN."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype(float)
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    return parse_numbers(col.astype("str")).where(col.notna())


def validate_mapping(frame: pd.DataFrame, kind: Kind, mapping: ColumnMapping) -> None:
    """Raise :class:`AnalyticsError` when the mapping cannot make a dataset of this kind."""
    if kind not in KINDS:
        raise AnalyticsError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    columns = set(map(str, frame.columns))
    for role, column in mapping.roles().items():
        if column not in columns:
            raise AnalyticsError(
                f"Column {column!r} (chosen as {ROLE_LABELS.get(role, role)}) is not in the table."
            )
    used = list(mapping.roles().values())
    duplicates = {c for c in used if used.count(c) > 1}
    if duplicates and kind != "baskets":
        raise AnalyticsError(
            f"Column {sorted(duplicates)[0]!r} is chosen for two roles.",
            hint="Give each role its own column.",
        )
    missing = [c for c in (*mapping.items, *mapping.dimensions) if c not in columns]
    if missing:
        raise AnalyticsError(f"Column {missing[0]!r} is not in the table.")
    required: dict[str, list[tuple[str, ...]]] = {
        "transactions": [("timestamp",), ("unit_price", "revenue")],
        "series": [("timestamp",), ("value",)],
        "customers": [],
        "baskets": [],
    }
    need = required[kind]
    roles = mapping.roles()
    for options in need:
        if not any(role in roles for role in options):
            labels = " or ".join(ROLE_LABELS[r].lower() for r in options)
            raise AnalyticsError(
                f"A {kind} dataset needs a {labels} column.",
                hint="Choose it under 'Column roles' on the Data page.",
            )
    if kind == "baskets" and not mapping.items and not (mapping.basket_id and mapping.item):
        raise AnalyticsError(
            "A baskets dataset needs either a basket id and an item column, or the columns that hold the items.",
            hint="Choose them under 'Column roles' on the Data page.",
        )


def build_dataset(
    frame: pd.DataFrame,
    kind: Kind,
    mapping: ColumnMapping,
    *,
    source: str = "data",
) -> Dataset:
    """Turn a table into a typed, fingerprinted :class:`Dataset` of the given kind.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    kind : str
        One of ``KINDS``.
    mapping : ColumnMapping
        Which column plays which role (see :func:`detect_mapping`).
    source : str
        A name for where the data came from.

    Returns
    -------
    Dataset

    Raises
    ------
    AnalyticsError
        A required role is missing, or a column cannot be read as its role needs.

    Example
    -------
    >>> table = pd.DataFrame({"Invoice": [1, 1], "Date": ["2024-01-02", "2024-01-02"], "Price": [2.0, 3.0]})
    >>> ds = build_dataset(table, "transactions", detect_mapping(table, "transactions"))
    >>> ds.frame["revenue"].sum()
    np.float64(5.0)
    """
    validate_mapping(frame, kind, mapping)
    notes: list[str] = []
    dates: DateParse | None = None
    if kind == "baskets":
        out = _baskets_long(frame, mapping)
    else:
        roles = mapping.roles()
        keep = [r for r in KIND_ROLES[kind] if r in roles]
        out = pd.DataFrame({role: frame[roles[role]] for role in keep}, index=frame.index)
        for role in keep:
            if role in ID_ROLES:
                out[role] = as_identifier(out[role])
            elif role in NUMERIC_ROLES:
                numbers = as_number(out[role])
                lost = int(numbers.isna().sum() - out[role].isna().sum())
                if lost:
                    notes.append(
                        f"{roles[role]}: {lost:,} value(s) are not numbers and were left empty."
                    )
                out[role] = numbers
            elif role == "timestamp":
                dates = parse_dates(out[role], dayfirst=mapping.dayfirst)
                if dates.n_unparsed and dates.n_unparsed == out[role].notna().sum():
                    raise AnalyticsError(
                        f"Column {roles[role]!r} holds no dates MarketLens can read.",
                        hint="Choose another date column, or export dates as YYYY-MM-DD.",
                    )
                out[role] = dates.values
                if dates.n_unparsed:
                    notes.append(
                        f"{roles[role]}: {dates.n_unparsed:,} value(s) are not dates and were left empty."
                    )
                notes.append(dates.describe())
            elif role == "time":
                out = _add_times(out, roles, notes)
            elif role == "paid":
                out[role] = _paid_flags(out[role])
            else:
                out[role] = tidy_text(out[role])
        extra = [c for c in frame.columns if str(c) not in roles.values()]
        if kind == "transactions":
            extra = [c for c in extra if str(c) in mapping.dimensions]
            out = _complete_transactions(out, notes)
            out = _without_total_row(out, notes)
            out = _order_level(out, roles, notes)
            notes.extend(_revenue_notes(frame, roles))
        for column in extra:
            name = str(column) if str(column) not in out.columns else f"{column} (column)"
            out[name] = frame[column]
        row_ids = _row_id_column(frame) if kind == "transactions" else None
        if row_ids is not None and "row_id" not in out:
            # Lines equal in every mapped column are still different lines of the file.
            out["row_id"] = frame[row_ids].to_numpy()
        if kind == "series":
            out = out.dropna(subset=["timestamp"]).sort_values("timestamp", kind="stable")
        out = out.reset_index(drop=True)
    if out.empty:
        raise AnalyticsError(
            "No rows are left after reading the chosen columns.", hint="Check the column roles."
        )
    return Dataset(
        frame=out,
        kind=kind,
        mapping=mapping,
        source=source,
        fingerprint=fingerprint(out, kind),
        notes=tuple(notes),
        dates=dates,
        currency=detect_currency(frame, mapping) if kind == "transactions" else None,
    )


_ROW_ID_HEADERS = frozenset(
    {"rowid", "row", "rownumber", "rowno", "index", "unnamed0", "序号", "行号", "行"}
)


def _row_id_column(frame: pd.DataFrame) -> str | None:
    """A column numbering the file's rows (Superstore's ``Row ID``), if there is one."""
    for column in frame.columns:
        col = frame[column]
        if _norm(column) in _ROW_ID_HEADERS and col.notna().all() and col.is_unique:
            return str(column)
    return None


def _without_total_row(out: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Drop a totals line at the end of an export: no date, and an amount equal to the sum of
    the lines above it (a supermarket till report ends with one)."""
    if len(out) < 3 or pd.notna(out["timestamp"].iloc[-1]):
        return out
    last, body = out.iloc[-1], out.iloc[:-1]
    for column in ("revenue", "quantity"):
        value, total = last.get(column), body[column].sum() if column in body else np.nan
        if (
            pd.notna(value)
            and pd.notna(total)
            and abs(value - total) <= max(0.01, 1e-6 * abs(total))
        ):
            notes.append(
                f"The last row is a total ({value:,.2f} = the sum of the {len(body):,} lines above) "
                "and was left out."
            )
            return body
    return out


def _paid_flags(col: pd.Series) -> pd.Series:
    """Whether each row is paid: a payment time is filled in, or a flag says yes."""
    if _is_flag(col) and not _is_date_like(col):
        if pd.api.types.is_bool_dtype(col):
            return col.fillna(False).astype(bool)
        return col.map(lambda v: _norm(v) in _YES if pd.notna(v) else False).astype(bool)
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.notna()
    return col.notna() & col.astype("str").str.strip().ne("")


def _order_level(out: pd.DataFrame, roles: Mapping[str, str], notes: list[str]) -> pd.DataFrame:
    """Spread order-level roles over every line of their order, and take refunds off revenue.

    Shopify writes Financial Status, Paid at and Refunded Amount on an order's first line only;
    the other lines of the order take the status and the paid flag over. Refunds are not
    spread (that would count them once per line): a refund on any line marks the order.
    """
    present = [r for r in ORDER_ROLES if r in out]
    if not present:
        return out
    by_order = out.groupby("order_id", sort=False, dropna=False) if "order_id" in out else None
    if "status" in out and by_order is not None:
        out["status"] = out["status"].fillna(by_order["status"].transform("first"))
    if "paid" in out and by_order is not None:
        out["paid"] = by_order["paid"].transform("max").astype(bool)
    if "refund" in out:
        refund = out["refund"].fillna(0.0)
        out["refund"] = refund
        if refund.ne(0).any():
            out["revenue"] = out["revenue"] - refund.abs()
            notes.append(
                f"Revenue is net of refunds: {roles['refund']} is taken off {roles.get('revenue') or 'revenue'}."
            )
    return out


def _revenue_notes(frame: pd.DataFrame, roles: Mapping[str, str]) -> list[str]:
    """Say which amount column revenue comes from when the file has several (gross and net)."""
    if "revenue" not in roles:
        return (
            [f"Revenue is {roles.get('quantity', 'quantity')} × {roles['unit_price']}."]
            if ("unit_price" in roles)
            else []
        )
    others = [
        str(c)
        for c in frame.columns
        if str(c) not in roles.values()
        and _name_score(str(c), "revenue")
        and _is_numeric_like(frame[c])
    ]
    if not others:
        return []
    return [
        f"Revenue is read from {roles['revenue']}; the file also has {', '.join(others[:4])} "
        "(other amounts, not used for revenue). Change it under Column roles if that is wrong."
    ]


def _add_times(out: pd.DataFrame, roles: Mapping[str, str], notes: list[str]) -> pd.DataFrame:
    """Add the times of day of the ``time`` column to the dates, then drop it."""
    times = parse_times(out.pop("time"))
    if "timestamp" not in out:
        return out
    stamps = out["timestamp"]
    if (stamps.dropna() != stamps.dropna().dt.normalize()).any():
        notes.append(
            f"{roles['time']}: the dates already have times of day, so this column was not added."
        )
        return out
    out["timestamp"] = stamps + times.fillna(pd.Timedelta(0))
    missing = int((times.isna() & stamps.notna()).sum())
    notes.append(
        f"Date and time combined: {roles['timestamp']} + {roles['time']}"
        + (f" ({missing:,} line(s) without a time count as midnight)." if missing else ".")
    )
    return out


#: Currency codes by the symbols and words exports write them with.
_CURRENCY_SIGNS = {
    "£": "GBP", "€": "EUR", "¥": "CNY", "元": "CNY", "人民币": "CNY", "rmb": "CNY", "r$": "BRL",
    "us$": "USD", "$": "USD", "₹": "INR", "₩": "KRW",
}  # fmt: skip
_CURRENCY_CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "CNY",
        "JPY",
        "CAD",
        "AUD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "BRL",
        "MXN",
        "INR",
        "KRW",
        "HKD",
        "SGD",
        "NZD",
        "ZAR",
        "TRY",
    ]
)
_CURRENCY_HEADERS = frozenset(
    {"currency", "currencycode", "wahrung", "devise", "moneda", "moeda", "币种", "货币"}
)


def detect_currency(frame: pd.DataFrame, mapping: ColumnMapping) -> str | None:
    """The currency of a file's amounts, where the file says it (see :attr:`Dataset.currency`).

    Example
    -------
    >>> detect_currency(pd.DataFrame({"Total (€)": [1.0]}), ColumnMapping(revenue="Total (€)"))
    'EUR'
    """
    for column in frame.columns:
        if _norm(column) in _CURRENCY_HEADERS:
            values = frame[column].dropna().astype("str").str.strip().str.upper().unique()
            if len(values) == 1 and values[0] in _CURRENCY_CODES:
                return str(values[0])
            return None  # several currencies, or none named: say nothing
    for header in (mapping.revenue, mapping.unit_price):
        if header is None:
            continue
        words = re.findall(r"(?<![A-Za-z])[A-Za-z]{3}(?![A-Za-z])", header)
        codes = {w.upper() for w in words} & _CURRENCY_CODES
        if len(codes) == 1:
            return codes.pop()
        lowered = header.lower()
        for sign in sorted(_CURRENCY_SIGNS, key=len, reverse=True):
            if sign in lowered:
                return _CURRENCY_SIGNS[sign]
    return None


def _complete_transactions(out: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    if "quantity" not in out:
        out["quantity"] = 1.0
        notes.append("No quantity column: each line counts as one unit.")
    if "revenue" not in out:
        out["revenue"] = out["quantity"] * out["unit_price"]
    elif "unit_price" not in out:
        out["unit_price"] = out["revenue"] / out["quantity"].where(out["quantity"] != 0)
    if "order_id" not in out:
        key = out["timestamp"].astype("str")
        if "customer_id" in out:
            key = out["customer_id"].fillna("guest").astype("str") + " " + key
        out["order_id"] = key
        notes.append(
            "No order column: lines with the same customer and time are counted as one order."
        )
    return out


def _baskets_long(frame: pd.DataFrame, mapping: ColumnMapping) -> pd.DataFrame:
    if mapping.basket_id and mapping.item:
        out = pd.DataFrame(
            {"basket_id": as_identifier(frame[mapping.basket_id]), "item": frame[mapping.item]}
        )
    elif mapping.one_hot:
        matrix = frame[list(mapping.items)].fillna(0).astype(bool).to_numpy()
        rows, cols = np.nonzero(matrix)
        out = pd.DataFrame(
            {"basket_id": rows, "item": np.asarray(mapping.items, dtype=object)[cols]}
        )
    elif mapping.item_separator:
        column = frame[mapping.items[0]].dropna().astype("str")
        split = column.str.split(re.escape(mapping.item_separator), regex=True).explode()
        out = pd.DataFrame({"basket_id": split.index, "item": split.to_numpy()})
    else:
        wide = frame[list(mapping.items)]
        stacked = wide.stack(future_stack=True) if hasattr(wide, "stack") else wide.stack()
        out = stacked.reset_index(level=0).set_axis(["basket_id", "item"], axis=1)
    out["basket_id"] = out["basket_id"].astype("str")
    out["item"] = out["item"].astype("str").str.strip().where(out["item"].notna())
    out = out.dropna(subset=["item"])
    out = out[out["item"] != ""]
    return out.drop_duplicates().reset_index(drop=True)


def mapping_from_options(base: ColumnMapping, options: Mapping[str, str | None]) -> ColumnMapping:
    """Apply ``role=column`` overrides (the CLI's ``--role``) to a proposed mapping."""
    known = {f.name for f in fields(ColumnMapping)}
    changes: dict[str, object] = {}
    for role, column in options.items():
        if role == "dimensions":
            changes[role] = tuple(c for c in (column or "").split(",") if c)
        elif role not in known or role in ("items", "item_separator", "one_hot", "dayfirst"):
            raise AnalyticsError(
                f"Unknown role {role!r}.",
                hint="Roles are: " + ", ".join(sorted(ROLE_LABELS)) + ", dimensions.",
            )
        else:
            changes[role] = column or None
    return replace(base, **changes)  # type: ignore[arg-type]
