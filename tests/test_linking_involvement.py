"""Who takes part: background, roll-calls, reporters, collateral services, namesakes and scripts.

Every example is written for this file (none is a labeled item); each checks one general rule of the
labeling guide's "Companies" section.
"""

from __future__ import annotations

import pytest

from classifiers.companies import link_companies
from monitor.watchlist import load_watchlist


@pytest.fixture(scope="module")
def wl():
    return load_watchlist()


def linked(wl, title: str, summary: str = "") -> tuple[str, ...]:
    return link_companies(title, summary, wl).companies


# --------------------------------------------------------------------------- cues and their scope


def test_a_source_cue_does_not_swallow_the_topic_after_it(wl):
    assert linked(wl, "Officials hacked reporters' phones, according to a report on Pegasus") == (
        "NSO Group",
    )
    assert linked(
        wl,
        "Researchers find spyware on activists' phones",
        "Citing Citizen Lab research on FinSpy, the paper said police infected 30 phones.",
    ) == ("FinFisher",)


def test_use_of_spyware_is_the_vendor_taking_part_but_use_of_an_app_is_a_channel(wl):
    assert linked(wl, "Court condemns the use of Pegasus spyware against journalists") == ("NSO Group",)
    assert (
        linked(
            wl,
            "Police arrest organisers of a protest",
            "Officers said the use of WhatsApp groups to organise the march was illegal.",
        )
        == ()
    )


def test_a_company_saying_it_was_ordered_to_act_takes_part(wl):
    links = link_companies(
        "Zimbabwe orders second internet cut",
        "Econet Wireless said it had again been ordered to suspend data services.",
        wl,
    )
    assert links.companies == ("Econet Wireless",)


def test_a_representative_quoted_is_a_source(wl):
    assert (
        linked(
            wl,
            "Mobile internet cut in occupied city",
            "A Vodafone representative told local media the outage was deliberate.",
        )
        == ()
    )


# --------------------------------------------------------------------------- background and roll-calls


def test_a_clause_recalling_earlier_blocks_is_background(wl):
    assert linked(
        wl,
        "Regulator blocks Signal nationwide",
        "The watchdog blocked Signal on Tuesday. Since 2022 it has blocked Facebook and Instagram.",
    ) == ("Signal",)


def test_a_roll_call_of_other_services_is_context_when_the_title_names_the_party(wl):
    links = link_companies(
        "Apple pulls VPN apps from its store in China",
        "Apple removed the apps at the regulator's request. Facebook, Twitter, YouTube und Google sind "
        "in China ohnehin gesperrt.",
        wl,
    )
    assert links.companies == ("Apple",)
    assert {"Meta", "X Corp", "Alphabet"} <= set(links.mentioned)


def test_a_blocked_list_that_holds_the_title_company_is_the_same_event(wl):
    assert set(
        linked(
            wl,
            "Authorities block Facebook after protests",
            "Facebook, WhatsApp, Telegram and YouTube were blocked on Monday.",
        )
    ) == {"Meta", "Telegram", "Alphabet"}


def test_in_a_vote_every_platform_the_operation_ran_on_is_a_party(wl):
    links = link_companies(
        "Meta removes fake news network aimed at the election",
        "The network, also active on TikTok, YouTube and Telegram, spread disinformation about candidates "
        "through fake accounts.",
        wl,
    )
    assert set(links.companies) == {"Meta", "Telegram", "ByteDance", "Alphabet"}


# --------------------------------------------------------------------------- reporters and collateral


def test_a_company_that_only_patched_is_a_reporter_in_all_its_mentions(wl):
    links = link_companies(
        "Mercenary spyware hit activists in five countries",
        "Microsoft and university researchers said spyware from Candiru was used against dissidents. "
        "Microsoft patched the Windows flaw it exploited.",
        wl,
    )
    assert links.companies == ("Candiru",)


def test_services_a_network_cut_left_unusable_are_collateral(wl):
    assert (
        linked(
            wl,
            "Town has had throttled internet for a year",
            "Operators slowed mobile data on official orders, leaving Facebook, Instagram and WhatsApp "
            "unusable for residents.",
        )
        == ()
    )


def test_a_blocked_feature_names_its_platform(wl):
    assert linked(
        wl,
        "Internet cut after election protests",
        "Local media said WhatsApp calls were blocked and messaging was throttled.",
    ) == ("Meta",)


def test_a_fact_check_of_one_post_does_not_make_the_platform_a_party(wl):
    assert (
        linked(
            wl,
            "Fact-check: photo of burning ballots is not from this election",
            "The image circulated on Facebook and X ahead of the vote; it shows a 2010 fire.",
        )
        == ()
    )


def test_a_post_announced_on_a_platform_is_a_channel(wl):
    assert (
        linked(wl, "Government orders social media block", "The candidate publicised the order on Twitter.")
        == ()
    )


def test_a_turkish_locative_is_a_channel_and_a_dative_block_is_not(wl):
    assert linked(
        wl,
        "BTK Instagram'a erişimi engelledi",
        "Bakan kararı X'te paylaştı; Instagram'a erişim engeli getirildi.",
    ) == ("Meta",)


# --------------------------------------------------------------------------- namesakes and scripts


def test_an_operator_brand_counts_only_where_the_operator_is_licensed(wl):
    assert (
        linked(
            wl,
            "Philippines orders ISPs to block news sites",
            "Subscribers of Smart could not reach the sites after the telecom regulator's order.",
        )
        == ()
    )
    assert linked(wl, "Cambodia: Smart subscribers lose mobile internet after ministry order") == ("Axiata",)


def test_tele2_is_rostelecom_in_russia_and_kazakhtelecom_in_kazakhstan(wl):
    assert "Rostelecom" in linked(
        wl,
        "Mobile internet cut in Dagestan, Russia",
        "Tele2 and MTS subscribers lost mobile internet on the operators' orders.",
    )
    assert "Kazakhtelecom" in linked(
        wl,
        "Kazakhstan: operators told to cut mobile internet in Almaty",
        "Tele2 subscribers lost mobile internet after the order.",
    )


def test_turk_telekom_is_not_deutsche_telekom(wl):
    assert (
        linked(
            wl,
            "Türk Telekom blocks Wikipedia on a court order in Turkey",
            "Internet users could not reach the site.",
        )
        == ()
    )


def test_a_count_in_a_title_case_headline_is_not_the_operator_three(wl):
    assert linked(wl, "Internet Blackout Enters Three Weeks in Tigray") == ()


def test_a_dictionary_word_brand_needs_its_case_and_context(wl):
    # Swahili "siri" is "secret": not Apple's assistant
    assert linked(
        wl, "Uchaguzi: video ya siri yafichua kampeni ya ujumbe", "Kampuni ilitumia data ya Facebook."
    ) == ("Meta",)


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("የኢትዮ ቴሌኮም አገልግሎት በክልሉ ተቋረጠ", "", "Ethio Telecom"),  # genitive prefix የ
        ("سوشل میڈیا پلیٹ فارم ایکس ملک بھر میں بند", "", "X Corp"),
        ("चुनाव आयुक्त का फर्जी वीडियो सोशल मीडिया मंच एक्स पर वायरल", "", "X Corp"),
        ("یوٹیوب پر پابندی برقرار", "", "Alphabet"),
        ("कश्मीर में वोडाफोन और एयरटेल की सेवाएं बंद करने के आदेश", "", "Vodafone"),
        ("Мобільний інтернет операторів «Вимпелком» відключили", "", "VEON"),
        ("पेगासस स्पाइवेयर से पत्रकारों के फोन हैक", "", "NSO Group"),
        (
            "Telegram yazuiwa Kenya wakati wa mitihani",
            "Watumiaji hawakuweza kufikia Telegram na programu nyingine.",
            "Telegram",
        ),
        (
            "Russische Desinformation vor der Wahl",
            "Reuters sah Beiträge auf X, die Millionen Mal geteilt wurden.",
            "X Corp",
        ),
    ],
)
def test_local_spellings_and_context_words_link(wl, title, summary, expected):
    assert expected in linked(wl, title, summary)


def test_the_letter_in_an_x_ray_is_not_x(wl):
    assert linked(wl, "अस्पताल में एक्स-रे मशीन खराब", "मरीजों को इंटरनेट पर जानकारी मिली।") == ()


def test_paragon_resolves_to_the_tracked_vendor(wl):
    assert wl.resolve("Paragon").name == "Paragon Solutions"


def test_a_company_only_threatened_or_criticised_is_not_a_party(wl):
    assert linked(
        wl,
        "Turkey blocks access to Twitter",
        "The prime minister vowed to wipe out the service and also threatened Facebook and YouTube.",
    ) == ("X Corp",)
    assert linked(
        wl, "Maduro prohíbe la red social X por 10 días", "El mandatario critica a TikTok y ataca a WhatsApp."
    ) == ("X Corp",)


def test_a_comma_ends_a_source_cue(wl):
    assert linked(
        wl,
        "Spyware targeted 90 journalists",
        "According to Reuters, Meta removed the accounts that spread the lure links.",
    ) == ("Meta",)


def test_users_moving_to_another_app_make_it_no_party(wl):
    assert linked(
        wl,
        "Police ask GitHub to block a protest app",
        "The movement responded by moving its coordination to Telegram.",
    ) == ("Microsoft",)


def test_someone_else_saying_it_after_a_list_leaves_the_list_involved(wl):
    assert set(
        linked(
            wl,
            "Authorities block social media",
            "Authorities blocked Facebook, WhatsApp and Telegram on Sunday, NetBlocks said.",
        )
    ) == {"Meta", "Telegram"}


def test_operators_told_to_cut_service_are_ordered_not_quoted(wl):
    assert set(
        linked(
            wl,
            "Uganda orders internet shutdown",
            "Providers including MTN Uganda and Airtel Uganda were told to shut down the internet.",
        )
    ) == {"MTN Group", "Airtel Africa"}


def test_an_operator_that_kept_working_is_a_contrast_even_after_an_aside(wl):
    assert linked(
        wl,
        "Internet cut in Tigray",
        "Ethio Telecom cut service on government orders. Safaricom, which launched in 2022, was not "
        "affected.",
    ) == ("Ethio Telecom",)


def test_a_company_exposing_an_operation_is_a_reporter(wl):
    assert (
        linked(
            wl,
            "Microsoft exposes Iranian influence operation targeting voters",
            "Iranian groups created fake news sites ahead of the election.",
        )
        == ()
    )


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Власти отключили мобильный интернет", "Трафик упал на 80%, по данным Cloudflare."),
        ("Türkiye'de internet yavaşladı", "Cloudflare'e göre trafik yüzde 50 düştü."),
    ],
)
def test_a_data_source_in_other_languages_is_not_a_party(wl, title, summary):
    assert linked(wl, title, summary) == ()


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        (
            "Gobierno corta internet en la provincia",
            "El presidente anunció la medida en su cuenta de Twitter.",
        ),
        (
            "Gobierno corta internet en la provincia",
            "El ministro publicó en Twitter que la medida era temporal.",
        ),
        (
            "Coupure d'internet au Sénégal",
            "Le ministre a écrit sur Facebook que la coupure était nécessaire.",
        ),
        ("Coupure d'internet au Sénégal", "L'opposant a dénoncé la mesure sur son compte Twitter."),
        ("Governo corta internet no estado", "O ministro anunciou a decisão em seu perfil no Instagram."),
        (
            "В регионе отключили мобильный интернет",
            "Глава региона написал в своём Telegram-канале, что меры временные.",
        ),
        ("قطع الإنترنت في الولاية", "وأعلن الوزير القرار في تغريدة على تويتر."),
        ("قطع اینترنت در استان", "یک فعال در اینستاگرام نوشت که اینترنت قطع شده است."),
        ("जिले में इंटरनेट बंद", "मुख्यमंत्री ने ट्विटर पर लिखा कि यह कदम जरूरी था।"),
        ("ضلع میں موبائل انٹرنیٹ بند", "وزیر نے ٹوئٹر پر کہا کہ یہ اقدام ضروری تھا۔"),
        ("İlde internet kesildi", "Vali kararı Twitter hesabından duyurdu."),
        (
            "Internet diputus di provinsi",
            "Menteri menulis di akun Instagram-nya bahwa langkah itu sementara.",
        ),
        ("Serikali yazima intaneti", "Waziri aliandika kwenye Twitter kwamba hatua hiyo ni ya muda."),
        (
            "Internet in der Provinz abgeschaltet",
            "Der Minister schrieb auf X, die Maßnahme sei vorübergehend.",
        ),
    ],
)
def test_an_official_posting_on_a_platform_makes_it_a_channel_in_every_language(wl, title, summary):
    assert linked(wl, title, summary) == ()


def test_accounts_blocked_on_a_platform_make_it_a_party(wl):
    assert set(
        linked(
            wl,
            "Ministry blocks 35 YouTube channels run from abroad",
            "The ministry ordered 35 YouTube channels and two Twitter accounts blocked.",
        )
    ) == {"Alphabet", "X Corp"}
    assert set(
        linked(
            wl,
            "सरकार ने 35 यूट्यूब चैनल ब्लॉक कराए",
            "मंत्रालय ने 35 यूट्यूब चैनलों और 2 ट्विटर अकाउंट को ब्लॉक करने के निर्देश दिए।",
        )
    ) == {"Alphabet", "X Corp"}


def test_a_group_brand_counts_where_a_tracked_subsidiary_operates(wl):
    # MTN Group's own countries leave out Nigeria (MTN Nigeria is tracked on its own): its MoMo brand still
    # names it in a Nigerian item
    links = link_companies(
        "Nigeria's central bank orders MoMo accounts of protest organisers frozen",
        "MoMo, MTN's mobile money service, froze the accounts of 30 protest organisers in Nigeria.",
        wl,
    )
    assert {wl.family(n)[-1] for n in links.mentioned} == {"MTN Group"}
