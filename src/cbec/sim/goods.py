"""A catalogue of goods commonly bought through cross-border e-commerce, with their tariff
data, and the composite tax on them.

HS codes are 10-digit Chinese tariff codes (8-digit tariff line + 2-digit supplementary
code). Checked against public tariff look-ups (2024-2025 editions): 3304990099 and
3304990039 (skin care by piece / by volume, kg + piece, VAT 13%, consumption tax 15% when
high-end: from 10 CNY per ml or g, 15 CNY per piece), 3304910000, 3303000020, 1901101090 (retail
infant formula; 1901101010 is now the special formula for premature infants), 2106909090,
3305100090, 3401300000, 6404110000, 8516310000, 8543709990, 9619.0011 (diapers), 0306120000,
0306339910, the 2204 wines (litre + kg, consumption tax 10%) and the positive-list lines of
honey and nuts. The remaining codes, and the legal units of the garments, bags and small
appliances, are from the tariff structure as we know it and not individually checked:
treat the catalogue as realistic test data, not as a tariff.

Units are customs unit codes: 001 set (台), 007 each (个), 011 piece (件), 015 strip (条),
019 pair of glasses (副), 025 pair (双), 035 kg, 095 litre, 122 can (罐), 125 pack (包),
136 bag (袋), 140 box (盒), 142 bottle (瓶). Countries are customs country codes: 116 Japan,
133 Korea, 302 Denmark, 303 United Kingdom, 304 Germany, 305 France, 307 Italy,
309 Netherlands, 312 Spain, 331 Switzerland, 501 Canada, 502 United States,
601 Australia, 609 New Zealand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from stdnum import ean

from cbec.catalog.service import shipped_snapshot

CENT = Decimal("0.01")
#: Within the limits, VAT and consumption tax are levied at 70% of the statutory amount.
CBEC_FACTOR = Decimal("0.7")


@dataclass(frozen=True, slots=True)
class Goods:
    """One catalogue item. ``qty1`` (and ``qty2``) are the legal quantities of one unit."""

    sku: str
    name: str  # item name on the platform (itemName)
    gname: str  # goods name as declared to customs (gname)
    gmodel: str  # specification (gmodel)
    hs: str
    category: str
    unit: str  # unit in which it is sold
    unit1: str
    qty1: Decimal
    unit2: str | None
    qty2: Decimal | None
    net_kg: Decimal
    gross_kg: Decimal
    price_min: Decimal
    price_max: Decimal
    country: str
    vat: Decimal
    ct: Decimal
    barcode: str
    ct_threshold: Decimal | None = None  # unit price from which the consumption tax applies
    bonded: bool = True  # can be stocked in a bonded zone (fresh seafood flies in: 9610)

    def ct_at(self, price: Decimal) -> Decimal:
        """The consumption-tax rate for one unit sold at ``price``.

        Cosmetics are taxed only when high-end: from 10 CNY per ml or g (15 per piece), which
        ``ct_threshold`` holds per unit sold (500 for a 50 g jar).
        """
        if self.ct_threshold is not None and price < self.ct_threshold:
            return Decimal(0)
        return self.ct


_EAN_PREFIX = {
    "116": "49",
    "133": "880",
    "302": "57",
    "303": "50",
    "304": "40",
    "305": "34",
    "307": "80",
    "309": "87",
    "312": "84",
    "331": "76",
    "501": "06",
    "502": "0",
    "601": "93",
    "609": "94",
}


def _ean13(country: str, serial: int) -> str:
    prefix = _EAN_PREFIX[country]
    body = f"{prefix}{serial:0{12 - len(prefix)}d}"
    return body + ean.calc_check_digit(body)


#: sku | itemName | gname | gmodel | HS | category | unit | legal units (unit1 qty1
#: [unit2 qty2]) | net and gross kg | price range CNY | country | VAT % | CT % [@ unit price
#: from which it applies] | can be stocked in a bonded zone
_TABLE = """
FC-JP-001|日本进口保湿修护面霜 50g|面霜|50g/瓶|3304990099|cosmetics|142|035 0.05 011 1|0.05 0.25|520 1380|116|13|15@500|Y
SR-FR-002|法国进口精华肌底液 30ml|精华液|30ml/瓶|3304990039|cosmetics|142|035 0.033 011 1|0.033 0.2|420 1280|305|13|15@300|Y
EC-US-003|美国进口抗皱修护眼霜 15ml|眼霜|15ml/瓶|3304990039|cosmetics|142|035 0.015 011 1|0.015 0.12|300 900|502|13|15@150|Y
MK-KR-004|韩国玻尿酸补水面膜 10片/盒|面膜|25ml*10片/盒|3304990099|cosmetics|140|035 0.25 011 1|0.25 0.35|168 320|133|13|15@150|Y
PW-FR-005|法国柔焦定妆粉饼 10g|粉饼|10g/盒|3304910000|cosmetics|140|035 0.01 011 1|0.01 0.1|260 560|305|13|15@100|Y
PF-FR-006|法国经典淡香水 50ml|香水|50ml/瓶|3303000020|cosmetics|142|035 0.045 011 1|0.045 0.35|600 1500|305|13|15@500|Y
SS-JP-007|日本清爽防晒乳 SPF50+ 60ml|防晒乳|60ml/瓶|3304990039|cosmetics|142|035 0.06 011 1|0.06 0.12|98 260|116|13|15@600|Y
LT-JP-008|日本补水柔肤水 200ml|化妆水|200ml/瓶|3304990039|cosmetics|142|035 0.2 011 1|0.2 0.32|120 380|116|13|15@2000|Y
CL-JP-009|日本氨基酸洁面乳 120g|洁面乳|120g/支|3401300000|personal_care|011|035 0.12|0.12 0.16|59 158|116|13|0|Y
SH-JP-010|日本无硅油洗发水 500ml|洗发水|500ml/瓶|3305100090|personal_care|142|035 0.5|0.5 0.6|69 169|116|13|0|Y
BW-FR-011|法国香氛沐浴露 500ml|沐浴露|500ml/瓶|3401300000|personal_care|142|035 0.5|0.5 0.6|59 139|305|13|0|Y
TP-KR-012|韩国美白牙膏 120g|牙膏|120g/支|3306101000|personal_care|011|035 0.12|0.12 0.15|29 79|133|13|0|Y
MP-NL-013|荷兰婴儿配方奶粉1段 900g|婴儿配方奶粉|900g/罐 0-6月龄|1901101090|infant|122|035 0.9|0.9 1.15|238 398|309|13|0|Y
MP-NZ-014|新西兰较大婴儿配方奶粉2段 800g|较大婴儿配方奶粉|800g/罐 6-12月龄|1901101090|infant|122|035 0.8|0.8 1.05|228 368|609|13|0|Y
MP-DE-015|德国幼儿配方奶粉3段 800g|幼儿配方奶粉|800g/罐 12-36月龄|1901101090|infant|122|035 0.8|0.8 1.05|198 328|304|13|0|Y
MP-AU-016|澳大利亚幼儿配方羊奶粉3段 800g|幼儿配方羊奶粉|800g/罐 12-36月龄|1901101090|infant|122|035 0.8|0.8 1.05|268 428|601|13|0|Y
DP-JP-017|日本婴儿纸尿裤 L码 54片|婴儿纸尿裤|L码 54片/包|9619001100|infant|125|035 1.6|1.6 1.8|99 169|116|13|0|Y
DP-JP-018|日本婴儿拉拉裤 XL码 38片|婴儿拉拉裤|XL码 38片/包|9619001100|infant|125|035 1.4|1.4 1.6|89 159|116|13|0|Y
BB-JP-019|日本PPSU宽口径奶瓶 240ml|塑料奶瓶|240ml/个 PPSU|3924100000|infant|007|035 0.11|0.11 0.3|119 239|116|13|0|Y
BC-KR-020|韩国婴儿纯棉连体衣|棉制针织婴儿服装|66cm 100%棉 针织|6111200050|infant|011|035 0.12 011 1|0.12 0.2|129 329|133|13|0|Y
HP-AU-021|澳大利亚深海鱼油软胶囊 200粒|鱼油软胶囊|1000mg*200粒/瓶|2106909090|health|142|035 0.28|0.28 0.4|158 358|601|13|0|Y
HP-US-022|美国复合维生素片 60粒|复合维生素片|60粒/瓶|2106909090|health|142|035 0.09|0.09 0.18|128 298|502|13|0|Y
HP-US-023|美国益生菌固体饮料 30袋|益生菌固体饮料|2g*30袋/盒|2106909090|health|140|035 0.06|0.06 0.15|198 458|502|13|0|Y
HP-AU-024|澳大利亚葡萄籽精华胶囊 180粒|葡萄籽胶囊|180粒/瓶|2106909090|health|142|035 0.12|0.12 0.22|168 388|601|13|0|Y
HP-JP-025|日本胶原蛋白肽饮品 10瓶|胶原蛋白肽饮品|50ml*10瓶/盒|2106909090|health|140|035 0.5|0.5 0.9|228 488|116|13|0|Y
HN-NZ-026|新西兰麦卢卡蜂蜜 UMF10+ 250g|天然蜂蜜|250g/瓶|0409000000|health|142|035 0.25|0.25 0.45|198 498|609|9|0|Y
CF-IT-027|意大利烘焙咖啡豆 1kg|已焙炒咖啡豆|1kg/袋|0901210000|food|136|035 1|1 1.08|128 268|307|13|0|Y
CH-CH-028|瑞士黑巧克力 100g*5|黑巧克力|100g*5块/盒|1806320000|food|140|035 0.5|0.5 0.6|89 199|331|13|0|Y
BS-DK-029|丹麦黄油曲奇 908g|黄油曲奇饼干|908g/盒|1905310000|food|140|035 0.908|0.908 1.2|79 169|302|13|0|Y
OO-ES-030|西班牙特级初榨橄榄油 1L|特级初榨橄榄油|1L/瓶|1509200000|food|142|035 0.92|0.92 1.5|89 219|312|9|0|Y
NT-AU-031|澳大利亚夏威夷果仁 500g|去壳夏威夷果|500g/袋|0802620000|food|136|035 0.5|0.5 0.55|79 169|601|9|0|Y
NT-US-032|美国烘焙扁桃仁 1kg|扁桃仁|1kg/袋|0802120000|food|136|035 1|1 1.06|89 189|502|9|0|Y
WN-FR-033|法国波尔多干红葡萄酒 750ml|红葡萄酒|750ml/瓶 13.5%vol|2204210000|wine|142|095 0.75 035 1.25|1.25 1.5|128 1280|305|13|10|Y
WN-NZ-034|新西兰长相思干白葡萄酒 750ml|白葡萄酒|750ml/瓶 12.5%vol|2204210000|wine|142|095 0.75 035 1.25|1.25 1.5|98 398|609|13|10|Y
LB-CA-035|加拿大冻熟波士顿龙虾 500g|冻鳌龙虾|450-550g/只|0306120000|seafood|140|035 0.5|0.5 1.2|168 298|501|9|0|N
KC-US-036|美国阿拉斯加鲜活帝王蟹 2kg|鲜活帝王蟹|2kg/只|0306339910|seafood|011|035 2|2 4.5|698 1680|502|9|0|N
SN-JP-037|日本缓震跑步运动鞋|纺织面运动鞋|42码 纺织鞋面 橡胶底|6404110000|shoes|025|025 1 035 0.8|0.8 1.3|599 1299|116|13|0|Y
HB-IT-038|意大利牛皮手提包|皮革手提包|牛皮 30*22*12cm|4202210090|bags|007|007 1 035 0.9|0.9 1.6|1800 4800|307|13|0|Y
SG-IT-039|意大利偏光太阳镜|太阳镜|偏光 UV400|9004100000|accessories|019|019 1 035 0.03|0.03 0.25|680 1880|307|13|0|Y
SC-GB-040|英国羊绒针织围巾|山羊绒针织围巾|100%山羊绒 180*30cm|6117101100|apparel|015|035 0.2 015 1|0.2 0.45|680 1980|303|13|0|Y
HD-JP-041|日本负离子电吹风|电吹风|1200W 220V|8516310000|appliance|001|001 1 035 0.6|0.6 1.2|399 1599|116|13|0|Y
RC-JP-042|日本IH电饭煲 3L|电饭锅|3L IH加热 220V|8516603000|appliance|001|001 1 035 5.2|5.2 7|1299 3599|116|13|0|Y
SV-DE-043|德国往复式电动剃须刀|电动剃须刀|充电式 3刀头|8510100000|appliance|007|007 1 035 0.3|0.3 0.7|499 1899|304|13|0|Y
BD-JP-044|日本射频美容仪|家用射频美容仪|充电式 射频|8543709990|appliance|001|001 1 035 0.25|0.25 0.8|1280 3980|116|13|0|Y
"""  # noqa: E501

_PERCENT = Decimal("0.01")


def _parse(index: int, row: str) -> Goods:
    sku, name, gname, gmodel, hs, category, unit, legal, kg, prices, country, vat, ct, bonded = (
        row.split("|")
    )
    legal_parts = legal.split()
    net, gross = kg.split()
    low, high = prices.split()
    rate, _, threshold = ct.partition("@")
    return Goods(
        sku=sku,
        name=name,
        gname=gname,
        gmodel=gmodel,
        hs=hs,
        category=category,
        unit=unit,
        unit1=legal_parts[0],
        qty1=Decimal(legal_parts[1]),
        unit2=legal_parts[2] if len(legal_parts) > 2 else None,
        qty2=Decimal(legal_parts[3]) if len(legal_parts) > 2 else None,
        net_kg=Decimal(net),
        gross_kg=Decimal(gross),
        price_min=Decimal(low),
        price_max=Decimal(high),
        country=country,
        vat=Decimal(vat) * _PERCENT,
        ct=Decimal(rate) * _PERCENT,
        ct_threshold=Decimal(threshold) if threshold else None,
        barcode=_ean13(country, 1_000_000 + index * 7_919),
        bonded=bonded == "Y",
    )


#: The catalogue, in a fixed order.
CATALOGUE: tuple[Goods, ...] = tuple(
    _parse(i, row) for i, row in enumerate(_TABLE.strip().splitlines())
)

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(g.category for g in CATALOGUE))


def by_category(category: str) -> tuple[Goods, ...]:
    """The catalogue items of one category, in catalogue order."""
    return tuple(g for g in CATALOGUE if g.category == category)


# --- tax ---------------------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    """Round to the cent, half up (customs rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (cents) in proportion to ``weights``; the last share takes the rest.

    >>> allocate(Decimal("10.00"), [Decimal("1"), Decimal("2")])
    [Decimal('3.33'), Decimal('6.67')]
    """
    base = sum(weights, Decimal(0))
    if not weights:
        return []
    if base == 0 or total == 0:
        return [Decimal("0.00")] * len(weights)
    shares = [money(total * w / base) for w in weights[:-1]]
    shares.append(total - sum(shares, Decimal(0)))
    return shares


def line_tax(taxable: Decimal, vat: Decimal, ct: Decimal) -> Decimal:
    """The CBEC composite tax on one line whose taxable price is ``taxable``.

    Consumption tax CT = P / (1 - c) x c; VAT = (P + CT) x v; payable = 0.7 x (CT + VAT),
    rounded to the cent (half up).

    >>> line_tax(Decimal("398.00"), Decimal("0.13"), Decimal("0"))
    Decimal('36.22')
    >>> line_tax(Decimal("850.00"), Decimal("0.13"), Decimal("0.15"))
    Decimal('196.00')
    """
    consumption = taxable / (1 - ct) * ct
    value_added = (taxable + consumption) * vat
    return money(CBEC_FACTOR * (consumption + value_added))


def order_taxes(
    line_totals: Sequence[Decimal], freight: Decimal, rates: Sequence[tuple[Decimal, Decimal]]
) -> list[Decimal]:
    """Each line's tax; its taxable price is its total plus its share of the freight.

    ``rates`` holds (VAT, consumption tax) per line. Coupons are not deducted: the taxable
    price is the transaction price of goods and freight (insurance is not declared here).
    """
    shares = allocate(freight, line_totals)
    return [
        line_tax(total + share, vat, ct)
        for total, share, (vat, ct) in zip(line_totals, shares, rates, strict=True)
    ]


#: The catalogue the simulated platforms price with (the shipped one; it is the same for
#: every day since 2022).
_PRICED_ON = date(2026, 1, 1)
_GRAMS_PER = {"035": Decimal(1000), "036": Decimal(1), "095": Decimal(1000), "096": Decimal(1)}


def catalogue_ct(goods: Goods, price: Decimal) -> Decimal:
    """The consumption-tax rate of one unit sold at ``price``, by the shipped catalogue's
    rule (cosmetics: high-grade from 10 CNY per g or ml, the content taken from the legal
    quantity), so that the tax the platform collects is the one clearance computes."""
    rates = shipped_snapshot(_PRICED_ON).goods(goods.hs)
    if rates is None:
        return goods.ct
    per_unit = None
    if rates.consumption_threshold_unit in ("036", "096") and goods.unit1 in _GRAMS_PER:
        content = goods.qty1 * _GRAMS_PER[goods.unit1]
        per_unit = price / content if content else None
    return rates.consumption_rate_at(per_unit)
