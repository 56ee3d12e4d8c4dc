"""Who the synthetic subjects are: persons and enterprises with valid
identifiers, addresses over time and a latent risk that is the ground truth.

A person or enterprise is a pure function of ``(seed, index)``: regenerating
index 42 gives the same subject, which is how an enterprise finds its legal
representative without the population being kept in memory.

Sex is drawn only to choose a given name and the parity digit of the resident
identity number; it is not kept on the ``Person`` and never written out.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from stdnum.cn import ric, uscc
from stdnum.us import ssn as us_ssn

from xinyong.synth.rng import (
    Categorical,
    Stream,
    below,
    choice,
    month_index,
    randint,
    random_date,
    subject_rng,
)
from xinyong.synth.vocab import INDUSTRIES, PROVINCES, County, pinyin_of, vocabulary

# Logistic models of the truth: logit(PD) = intercept + slope * latent.
PERSON_PD_INTERCEPT = -3.6
ENTERPRISE_PD_INTERCEPT = -3.2
PD_SLOPE = 1.35
REP_LATENT_WEIGHT = 0.35  # how much an enterprise's risk shares its representative's

SEGMENT_CN = "cn"  # Chinese national in China: RIC, names in characters
SEGMENT_US = "us"  # US resident: SSN, US address, files at US furnishers
SEGMENT_FOREIGN = "foreign"  # foreign national resident in China: passport

_PASSPORT_COUNTRY = Categorical(("GB", "AU", "CA", "NZ", "IE"), (40, 20, 20, 10, 10))
_SEGMENTS = Categorical((SEGMENT_CN, SEGMENT_US, SEGMENT_FOREIGN), (82, 13, 5))
_AGES = Categorical((20, 26, 32, 40, 50, 60, 70), (8, 18, 22, 20, 15, 11, 6))  # age bands
_MOVES = Categorical((0, 1, 2), (45, 40, 15))  # moves in the last ten years
_SIZES = Categorical((0, 1, 2, 3), (50, 30, 15, 5))  # enterprise size classes
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class Address(NamedTuple):
    """A mailing address and the month from which the subject lived there."""

    line1: str
    line2: str | None
    city: str
    region: str
    postal_code: str
    country: str
    since_month: int
    county_code: str = ""  # Chinese addresses: the county, for the local court


@dataclass(frozen=True, slots=True)
class Person:
    """One natural person as the truth knows them."""

    index: int
    subject_id: str
    segment: str
    family: str  # in the person's own script
    given: str
    family_latin: str  # pinyin for Chinese names, else the same as ``family``
    given_latin: str
    birth_date: date
    ric: str | None
    ssn: str | None
    passport: str | None
    passport_country: str | None
    phone: str
    addresses: tuple[Address, ...]
    latent: float
    pd: float
    defaults: bool

    @property
    def han(self) -> bool:
        return self.segment == SEGMENT_CN

    def address_at(self, mi: int) -> Address:
        """The address the person had in month ``mi`` (the first one if earlier)."""
        current = self.addresses[0]
        for address in self.addresses[1:]:
            if address.since_month <= mi:
                current = address
        return current


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One enterprise as the truth knows it."""

    index: int
    subject_id: str
    legal_name: str
    short_name: str  # the name without its region prefix and legal form
    county: County
    registration_date: date
    registration_authority: str
    industry_code: str
    uscc: str
    legal_rep_subject_id: str | None
    legal_rep_name: str | None
    address: Address
    phone: str
    size: int  # 0 micro, 1 small, 2 medium, 3 large: scales loan amounts
    latent: float
    pd: float
    defaults: bool


def person_id(index: int) -> str:
    return f"P{index:09d}"


def enterprise_id(index: int) -> str:
    return f"E{index:09d}"


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def make_ric(rng: random.Random, birth: date, male: bool) -> str:
    """A resident identity number valid per stdnum: an area code that existed
    in the birth year, the birth date, a sequence whose parity is the sex
    digit, and the ISO 7064 check digit."""
    vocab = vocabulary()
    # Most people hold a number under a code still in use; some an old one.
    counties = vocab.current_counties if rng.random() < 0.8 else vocab.counties
    while True:
        county = counties[below(rng, len(counties))]
        if county.start <= birth.year <= county.end:
            break
    seq = below(rng, 500) * 2 + (1 if male else 0)
    body = f"{county.code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def gb11714_check(code8: str) -> str:
    """Check character of a GB 11714 organisation code (the USCC's 9th-17th)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(code8, _GB11714_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def make_uscc(rng: random.Random, county: County) -> str:
    """A unified social credit code valid per stdnum: registered by the market
    regulator (9), an enterprise (1), its county, an organisation code."""
    if rng.random() < 0.7:
        org8 = "MA" + "".join(choice(rng, _USCC_ALPHABET) for _ in range(6))
    else:
        org8 = f"{below(rng, 10**8):08d}"
    body = f"91{county.code}{org8}{gb11714_check(org8)}"
    return body + uscc.calc_check_digit(body)


def make_ssn(rng: random.Random) -> str:
    """Nine digits with a valid-looking structure (area not 000/666/9xx,
    group and serial not zero), never one of stdnum's known-invalid numbers."""
    while True:
        area = randint(rng, 1, 899)
        if area == 666:
            continue
        number = f"{area:03d}{randint(rng, 1, 99):02d}{randint(rng, 1, 9999):04d}"
        if us_ssn.is_valid(number):
            return number


def make_passport(rng: random.Random, country: str) -> str:
    if country == "CN":
        return "E" + f"{below(rng, 10**8):08d}"
    if country == "GB":
        return f"{below(rng, 10**9):09d}"
    letters = "ABCGHJKLMNPRSTWXY"
    if country == "IE":
        return choice(rng, letters) + choice(rng, letters) + f"{below(rng, 10**7):07d}"
    if country in ("CA", "NZ"):
        return choice(rng, letters) + choice(rng, letters) + f"{below(rng, 10**6):06d}"
    return choice(rng, "NPLMRE") + f"{below(rng, 10**7):07d}"


def cn_mobile(rng: random.Random) -> str:
    return choice(rng, vocabulary().cn_mobile_prefixes) + f"{below(rng, 10**8):08d}"


@cache
def _county_places(code: str) -> tuple[str, str, str]:
    """(province, prefecture or municipality, postal code prefix) of a county."""
    names = vocabulary().names_by_code
    province = names[code[:2] + "0000"]
    prefecture = names.get(code[:4] + "00", province)
    if prefecture in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        prefecture = province
    return province, prefecture, PROVINCES[code[:2]][1]


def cn_address(rng: random.Random, since_month: int, near: str | None = None) -> Address:
    """An address in a county that exists today, within prefecture ``near``
    (first four digits) when given and possible."""
    vocab = vocabulary()
    counties = vocab.counties_by_prefecture.get(near or "", vocab.current_counties)
    county = counties[below(rng, len(counties))]
    province, prefecture, postal_prefix = _county_places(county.code)
    street = choice(rng, vocab.cn_street_words) + choice(rng, ("路", "街", "大道", "巷"))
    line1 = f"{county.name}{street}{randint(rng, 1, 999)}号"
    line2 = None
    if rng.random() < 0.7:
        room = f"{randint(rng, 1, 33)}{randint(rng, 1, 8):02d}"
        line2 = f"{randint(rng, 1, 30)}栋{randint(rng, 1, 6)}单元{room}室"
    postal = postal_prefix + f"{below(rng, 10**4):04d}"
    return Address(line1, line2, prefecture, province, postal, "CN", since_month, county.code)


def us_address(rng: random.Random, since_month: int) -> Address:
    vocab = vocabulary()
    street = vocab.us_surnames.pick(rng) + " " + choice(rng, vocab.us_street_suffixes)
    line2 = f"Apt {randint(rng, 1, 40)}{choice(rng, 'ABCD')}" if rng.random() < 0.3 else None
    city_root = vocab.us_given_male.pick(rng) if rng.random() < 0.5 else vocab.us_surnames.pick(rng)
    city = city_root + choice(rng, vocab.us_city_suffixes)
    if rng.random() < 0.3:
        city = choice(rng, vocab.us_city_prefixes) + " " + city
    state = choice(rng, vocab.us_states)
    low, high = vocab.us_zip_ranges[state]
    line1 = f"{randint(rng, 1, 99999)} {street}"
    return Address(line1, line2, city, state, f"{randint(rng, low, high):05d}", "US", since_month)


def _address_history(
    rng: random.Random, birth: date, observation: date, segment: str, home: str | None
) -> tuple[Address, ...]:
    """The first adult address and zero to two moves in the last ten years."""
    obs_mi = month_index(observation)
    first_mi = max(month_index(birth) + 18 * 12, obs_mi - 30 * 12)
    moves = _MOVES.pick(rng)
    moved = sorted(randint(rng, max(first_mi + 1, obs_mi - 120), obs_mi) for _ in range(moves))
    since = [first_mi, *moved]
    history: list[Address] = []
    for mi in since:
        if segment == SEGMENT_US:
            history.append(us_address(rng, mi))
        else:
            near = home if rng.random() < 0.6 else None
            history.append(cn_address(rng, mi, near))
    return tuple(history)


def make_person(seed: int, index: int, observation: date) -> Person:
    """Person ``index`` of the run: a pure function of its arguments."""
    rng = subject_rng(seed, Stream.PERSON_IDENTITY, index)
    vocab = vocabulary()
    segment = _SEGMENTS.pick(rng)
    male = rng.random() < 0.5
    age_years = _AGES.pick(rng)
    birth = random_date(
        rng,
        date(observation.year - age_years - 6, 1, 1),
        date(observation.year - max(age_years, 21), 12, 31),
    )
    id_ric = id_ssn = passport = passport_country = None
    if segment == SEGMENT_CN:
        family = vocab.cn_surnames.pick(rng)
        if rng.random() < 0.45:
            given = choice(rng, vocab.cn_given_male if male else vocab.cn_given_female)
        else:
            count = 1 if rng.random() < 0.2 else 2
            given = "".join(choice(rng, vocab.cn_given_chars) for _ in range(count))
        family_latin, given_latin = pinyin_of(family, True), pinyin_of(given, False)
        id_ric = make_ric(rng, birth, male)
        if rng.random() < 0.03:
            passport, passport_country = make_passport(rng, "CN"), "CN"
        phone = cn_mobile(rng)
        home = id_ric[:4]
    elif segment == SEGMENT_US:
        family = vocab.us_surnames.pick(rng)
        given = (vocab.us_given_male if male else vocab.us_given_female).pick(rng)
        family_latin, given_latin = family, given
        id_ssn = make_ssn(rng)
        phone = f"{randint(rng, 201, 989)}{randint(rng, 200, 999)}{below(rng, 10**4):04d}"
        home = None
    else:
        family = vocab.gb_surnames.pick(rng)
        given = choice(rng, vocab.gb_given_male if male else vocab.gb_given_female)
        family_latin, given_latin = family, given
        country = _PASSPORT_COUNTRY.pick(rng)
        passport, passport_country = make_passport(rng, country), country
        phone = cn_mobile(rng)
        home = None
    addresses = _address_history(rng, birth, observation, segment, home)
    latent = rng.gauss(0.0, 1.0)
    pd = sigmoid(PERSON_PD_INTERCEPT + PD_SLOPE * latent)
    return Person(
        index=index,
        subject_id=person_id(index),
        segment=segment,
        family=family,
        given=given,
        family_latin=family_latin,
        given_latin=given_latin,
        birth_date=birth,
        ric=id_ric,
        ssn=id_ssn,
        passport=passport,
        passport_country=passport_country,
        phone=phone,
        addresses=addresses,
        latent=latent,
        pd=pd,
        defaults=rng.random() < pd,
    )


def _pick_representative(
    rng: random.Random, seed: int, persons: int, registered: date, observation: date
) -> Person | None:
    """A person of the population who lives in China and was an adult when
    the enterprise was registered; ``None`` if a few draws find nobody."""
    for _ in range(12 if persons else 0):
        candidate = make_person(seed, below(rng, persons), observation)
        adult = candidate.birth_date.year + 18 <= registered.year
        if candidate.segment != SEGMENT_US and adult:
            return candidate
    return None


def make_enterprise(seed: int, index: int, persons: int, observation: date) -> Enterprise:
    """Enterprise ``index`` of the run; its representative is drawn among the
    first ``persons`` persons, so the same ``persons`` gives the same result."""
    rng = subject_rng(seed, Stream.ENTERPRISE_IDENTITY, index)
    vocab = vocabulary()
    county = vocab.current_counties[below(rng, len(vocab.current_counties))]
    province = vocab.names_by_code[county.province_code + "0000"]
    city = vocab.names_by_code.get(county.code[:4] + "00", province)
    if city in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        city = province
    years_ago = min(rng.expovariate(1 / 7.0), 30.0)
    latest = observation - timedelta(days=90 + int(years_ago * 365.25))
    registered = random_date(rng, latest - timedelta(days=365), latest)
    industry_code, industry_words = choice(rng, INDUSTRIES)
    trade = "".join(choice(rng, vocab.trade_name_chars) for _ in range(2))
    form = vocab.company_forms.pick(rng)
    region_prefix = city.removesuffix("市").removesuffix("省")
    short = f"{trade}{industry_words}"
    legal_name = f"{region_prefix}{short}{form}"
    uscc_code = make_uscc(rng, county)
    address = cn_address(rng, month_index(registered), county.code[:4])
    rep = _pick_representative(rng, seed, persons, registered, observation)
    noise = rng.gauss(0.0, 1.0)
    if rep is None:
        latent = noise
    else:
        latent = REP_LATENT_WEIGHT * rep.latent + math.sqrt(1 - REP_LATENT_WEIGHT**2) * noise
    pd = sigmoid(ENTERPRISE_PD_INTERCEPT + PD_SLOPE * latent)
    return Enterprise(
        index=index,
        subject_id=enterprise_id(index),
        legal_name=legal_name,
        short_name=short,
        county=county,
        registration_date=registered,
        registration_authority=f"{city}市场监督管理局"
        if city.endswith("市")
        else f"{province}市场监督管理局",
        industry_code=industry_code,
        uscc=uscc_code,
        legal_rep_subject_id=rep.subject_id if rep else None,
        legal_rep_name=(rep.family + rep.given if rep.han else f"{rep.given} {rep.family}")
        if rep
        else None,
        address=address,
        phone=cn_mobile(rng)
        if rng.random() < 0.5
        else f"0{randint(rng, 10, 999)}{below(rng, 10**7):07d}",
        size=_SIZES.pick(rng),
        latent=latent,
        pd=pd,
        defaults=rng.random() < pd,
    )
