"""Header names and cell values: the synonyms of each role in English, 中文, German, French,
Spanish and Portuguese, how well a header names a role, and reading identifiers, numbers, flags
and text."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from analytics.data.dates import _is_date_like


def without_accents(text: str) -> str:
    """Text in compatibility form without accents: ``"Remboursé"`` → ``"Rembourse"``, full-width
    ``"Ｉｄ"`` → ``"Id"``."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _norm(name: object) -> str:
    """Lower-case a header, drop accents, spaces and punctuation: ``"Catégorie"`` → ``"categorie"``,
    ``"Customer ID"`` → ``"customerid"``; full-width letters become plain ones."""
    text = without_accents(str(name).strip().lower())
    words = [w for w in re.split(r"[\s_\-./()#:：（）'’]+", text) if w]
    if len(words) > 1:
        # Spanish, Portuguese, French and German headers join words with "of the":
        # "Id. del pedido", "Data do pedido", "Nom du produit" read as "idpedido" …
        words = [w for w in words if w not in _CONNECTORS] or words
    return "".join(words)


_CONNECTORS = frozenset(
    {"de", "del", "do", "da", "dos", "das", "du", "des", "la", "le", "el", "los", "las", "der"}
)


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
        "bestellid", "auftragsid",
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
        "idproducto", "idproduto", "idproduit", "produktid", "artikelid",
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
        "valortotal", "receita", "faturamento", "vendas", "montantventes", "dollarvalue", "dollaramount", "dollars",
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


_LEADING_ZERO = re.compile(r"^\s*0\d+\s*$")


def leading_zero_share(values: pd.Series) -> float:
    """Share of the values written as digits with a leading zero (``0001``, ``00101554328``):
    codes that must stay text, never numbers."""
    text = values.dropna().astype("str")
    return float(text.str.match(_LEADING_ZERO).mean()) if len(text) else 0.0


def looks_like_identifier(header: str) -> bool:
    """Whether a header names an identifier column, whose values must stay text (``"0001"``)."""
    key = _norm(header)
    if not key:
        return False
    if any(key in _ALIASES[role] for role in ("customer_id", "order_id", "product", "basket_id")):
        return True
    return key in _IDENTIFIER_EXTRA or bool(_ID_SUFFIX.search(str(header).strip()))


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


_YES = frozenset({"yes", "y", "true", "1", "paid", "是", "已付款", "ja", "oui", "si", "sim"})
_NO = frozenset({"no", "n", "false", "0", "unpaid", "否", "未付款", "nein", "non", "nao"})


def _is_flag(col: pd.Series) -> bool:
    """Whether a column holds yes/no values only (booleans, 0/1, yes/no words)."""
    if pd.api.types.is_bool_dtype(col):
        return True
    values = {_norm(v) for v in col.dropna().unique()[:20]}
    return bool(values) and values <= (_YES | _NO)


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


def paid_flags(col: pd.Series) -> pd.Series:
    """Whether each row is paid: a payment time is filled in, or a flag says yes."""
    if _is_flag(col) and not _is_date_like(col):
        if pd.api.types.is_bool_dtype(col):
            return col.fillna(False).astype(bool)
        return col.map(lambda v: _norm(v) in _YES if pd.notna(v) else False).astype(bool)
    if pd.api.types.is_datetime64_any_dtype(col):
        return col.notna()
    return col.notna() & col.astype("str").str.strip().ne("")
