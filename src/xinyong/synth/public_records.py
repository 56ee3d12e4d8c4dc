"""Court, tax and market-regulator records of the synthetic country.

Events arrive as Poisson processes whose rates grow with the subject's latent
risk, so they carry signal as real public records do: an enterprise that will
default is more often listed for abnormal operations or in tax arrears.
Authorities and document numbers follow the Chinese conventions (a county
court's case number ``(2024)粤0106民初1234号``, a regulator's decision number
``沪市监处罚〔2024〕56号``); listings expire or are removed as their registers
provide, and a listing left unremoved for three years becomes a serious
violation listing.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from xinyong.synth.furnishers import COURT, MARKET_REGULATOR, TAX, Furnisher
from xinyong.synth.rng import (
    add_years,
    choice,
    month_end,
    month_start,
    permute,
    randint,
    random_date,
)
from xinyong.synth.vocab import PROVINCES, County, vocabulary

WINDOW_YEARS = 6
ENTRY_FIELDS = (
    "kind", "authority", "document_number", "event_date", "filed_date", "currency", "amount",
    "status", "removed_date", "expires_on", "description",
)  # fmt: skip
"""The register's fields of a public record, as the canonical record ends."""
SLOPE = 1.2

_PENALTY_ACTS = (
    "未按规定公示年度报告", "销售不符合标准的产品", "发布虚假广告", "未取得许可从事经营活动",
    "使用未经检验的计量器具", "价格违法行为", "不正当竞争行为",
)  # fmt: skip
_TAX_ACTS = ("未按期申报纳税", "少缴税款", "未按规定开具发票", "虚开发票")
_ABNORMAL_REASONS = (
    "未按照规定期限公示年度报告", "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假", "未在责令的期限内公示有关企业信息",
)  # fmt: skip
_CASES = (
    "买卖合同纠纷",
    "借款合同纠纷",
    "金融借款合同纠纷",
    "租赁合同纠纷",
    "建设工程施工合同纠纷",
)


class PublicEvent(NamedTuple):
    """A public record over its whole life; ``as_of`` cuts it at a month end."""

    furnisher: Furnisher
    kind: str
    record_ref: str
    authority: str
    document_number: str | None
    event_date: date
    filed_date: date | None
    amount: int | None  # minor units of CNY
    end_date: date | None  # removed or satisfied on
    end_status: str  # removed, satisfied or withdrawn
    expires_on: date | None
    description: str

    def as_of(self, mi: int) -> dict[str, Any] | None:
        """The register's entry at the end of month ``mi``; ``None`` if not
        yet filed or past its publicity period."""
        values = self.values_as_of(mi)
        return None if values is None else dict(zip(ENTRY_FIELDS, values, strict=True))

    def values_as_of(self, mi: int) -> tuple[Any, ...] | None:
        """``as_of`` as the values of ``ENTRY_FIELDS``, in order."""
        end = month_end(mi)
        if (self.filed_date or self.event_date) > end:
            return None
        if self.expires_on is not None and self.expires_on < month_start(mi):
            return None
        ended = self.end_date is not None and self.end_date <= end
        return (
            self.kind,
            self.authority,
            self.document_number,
            self.event_date.isoformat(),
            self.filed_date.isoformat() if self.filed_date else None,
            "CNY" if self.amount is not None else None,
            self.amount,
            self.end_status if ended else "active",
            self.end_date.isoformat() if ended and self.end_date else None,
            self.expires_on.isoformat() if self.expires_on else None,
            self.description,
        )


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@lru_cache(maxsize=1 << 12)
def _places(county: County) -> tuple[str, str, str, str]:
    """(province abbreviation, prefecture name, county court, four-digit court code)."""
    vocab = vocabulary()
    province = vocab.names_by_code[county.province_code + "0000"]
    prefecture = vocab.names_by_code.get(county.code[:4] + "00", province)
    if prefecture in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        prefecture = province
    abbr = PROVINCES[county.province_code][0]
    return abbr, prefecture, f"{prefecture}{county.name}人民法院", county.code[2:]


def _amount(rng: random.Random, low: int, high: int) -> int:
    major = math.exp(rng.uniform(math.log(low), math.log(high)))
    return int(major) * 100


class _Register:
    """Collects one subject's events with unique references."""

    def __init__(self, rng: random.Random, index: int, enterprise: bool, county: County) -> None:
        self.rng = rng
        self.index = index
        self.enterprise = enterprise
        self.abbr, self.prefecture, self.court, self.court_code = _places(county)
        self.city_short = self.prefecture[:2]
        self.events: list[PublicEvent] = []

    def ref(self, prefix: str, year: int) -> str:
        kind = "E" if self.enterprise else "P"
        scrambled = permute(self.index, 10**8, salt=len(prefix))
        return f"{prefix}-{year}-{kind}{scrambled:08d}-{len(self.events):02d}"

    def add(self, furnisher: Furnisher, kind: str, when: date, **kw: Any) -> PublicEvent:
        filed = when + timedelta(days=randint(self.rng, 0, 20))
        event = PublicEvent(
            furnisher=furnisher,
            kind=kind,
            record_ref=self.ref(kw.pop("prefix"), when.year),
            event_date=when,
            filed_date=filed,
            **kw,
        )
        self.events.append(event)
        return event

    def judgment(self, when: date, low: int, high: int, observation: date) -> None:
        rng = self.rng
        n = randint(rng, 100, 39999)
        satisfied = rng.random() < 0.45
        end = when + timedelta(days=randint(rng, 30, 700)) if satisfied else None
        self.add(
            COURT, "court_judgment", when, prefix="CJ", authority=self.court,
            document_number=f"({when.year}){self.abbr}{self.court_code}民初{n}号",
            amount=_amount(rng, low, high), end_date=end, end_status="satisfied",
            expires_on=None, description=choice(rng, _CASES),
        )  # fmt: skip
        if satisfied and end is not None and end < when + timedelta(days=200):
            return
        if rng.random() < 0.45:
            listed = when + timedelta(days=randint(rng, 90, 280))
            if listed > observation:
                return
            removed = None
            if end is not None and end > listed:
                removed = end
            elif rng.random() < 0.3:
                removed = listed + timedelta(days=randint(rng, 60, 600))
            case = f"({listed.year}){self.abbr}{self.court_code}执{randint(rng, 100, 9999)}号"
            self.add(
                COURT, "dishonest_judgment_debtor", listed, prefix="SX", authority=self.court,
                document_number=case,
                amount=None, end_date=removed, end_status="removed",
                expires_on=add_years(listed, choice(rng, (2, 2, 3))),
                description="有履行能力而拒不履行生效法律文书确定义务",
            )  # fmt: skip


def _times(rng: random.Random, rate: float, start: date, end: date) -> list[date]:
    years = max((end - start).days / 365.25, 0.0)
    return sorted(random_date(rng, start, end) for _ in range(_poisson(rng, rate * years)))


def enterprise_events(
    rng: random.Random,
    index: int,
    latent: float,
    county: County,
    registered: date,
    observation: date,
) -> list[PublicEvent]:
    """Every public record of one enterprise filed in the last six years."""
    reg = _Register(rng, index, True, county)
    start = max(registered + timedelta(days=60), add_years(observation, -WINDOW_YEARS))
    if start >= observation:
        return []
    risk = math.exp(SLOPE * latent)
    samr = f"{reg.prefecture}市场监督管理局"
    tax_office = f"国家税务总局{reg.prefecture}税务局"
    for when in _times(rng, 0.03 * risk, start, observation):
        reg.add(
            MARKET_REGULATOR, "administrative_penalty", when, prefix="XZCF", authority=samr,
            document_number=f"{reg.city_short}市监处罚〔{when.year}〕{randint(rng, 1, 999)}号",
            amount=_amount(rng, 2_000, 500_000), end_date=None, end_status="removed",
            expires_on=add_years(when, 3), description=choice(rng, _PENALTY_ACTS),
        )  # fmt: skip
    for when in _times(rng, 0.01 * risk, start, observation):
        reg.add(
            TAX, "administrative_penalty", when, prefix="SWCF", authority=tax_office,
            document_number=f"{reg.city_short}税稽罚〔{when.year}〕{randint(rng, 1, 999)}号",
            amount=_amount(rng, 1_000, 300_000), end_date=None, end_status="removed",
            expires_on=add_years(when, 3), description=choice(rng, _TAX_ACTS),
        )  # fmt: skip
    for when in _times(rng, 0.05 * risk, start, observation):
        removed = when + timedelta(days=randint(rng, 20, 600)) if rng.random() < 0.6 else None
        reg.add(
            MARKET_REGULATOR, "abnormal_operations_listing", when, prefix="JYYC", authority=samr,
            document_number=f"{reg.city_short}市监异列〔{when.year}〕{randint(rng, 1, 9999)}号",
            amount=None, end_date=removed, end_status="removed", expires_on=None,
            description=choice(rng, _ABNORMAL_REASONS),
        )  # fmt: skip
        serious = add_years(when, 3)
        if removed is None and serious <= observation:
            number = f"{reg.city_short}市监严列〔{serious.year}〕{randint(rng, 1, 999)}号"
            reg.add(
                MARKET_REGULATOR, "serious_violation_listing", serious, prefix="YZWF",
                authority=samr, document_number=number,
                amount=None, end_date=None, end_status="removed", expires_on=add_years(serious, 3),
                description="被列入经营异常名录届满3年仍未履行相关义务",
            )  # fmt: skip
    for when in _times(rng, 0.025 * risk, start, observation):
        paid = when + timedelta(days=randint(rng, 15, 500)) if rng.random() < 0.5 else None
        reg.add(
            TAX, "tax_arrears", when, prefix="QS", authority=tax_office,
            document_number=None, amount=_amount(rng, 10_000, 2_000_000), end_date=paid,
            end_status="satisfied", expires_on=None, description="欠缴增值税、企业所得税",
        )  # fmt: skip
    for when in _times(rng, 0.04 * risk, start, observation):
        reg.judgment(when, 20_000, 5_000_000, observation)
    if rng.random() < 0.002 * risk * WINDOW_YEARS:
        when = random_date(rng, start, observation)
        case = f"({when.year}){reg.abbr}{reg.court_code[:2]}破申{randint(rng, 1, 99)}号"
        reg.add(
            COURT, "bankruptcy", when, prefix="PC", authority=f"{reg.prefecture}中级人民法院",
            document_number=case,
            amount=None, end_date=None, end_status="withdrawn", expires_on=None,
            description="债务人不能清偿到期债务，申请破产清算",
        )  # fmt: skip
    return reg.events


def person_events(
    rng: random.Random, index: int, latent: float, county: County, observation: date
) -> list[PublicEvent]:
    """Court judgments against a person and the dishonest-debtor listings
    that follow unpaid ones."""
    reg = _Register(rng, index, False, county)
    start = add_years(observation, -WINDOW_YEARS)
    for when in _times(rng, 0.002 * math.exp(1.3 * latent), start, observation):
        reg.judgment(when, 5_000, 500_000, observation)
    return reg.events
