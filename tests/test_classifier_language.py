"""Language detection for the six main languages, and hints."""

import pytest

from classifiers.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Authorities shut down mobile internet across the province for three days", "en"),
        ("Les autorités ont coupé l'internet mobile dans tout le pays pendant les examens", "fr"),
        ("El gobierno ordenó a las operadoras bloquear el acceso a las redes sociales", "es"),
        ("A Justiça mandou as operadoras bloquearem o aplicativo em todo o país", "pt"),
        ("Власти отключили мобильный интернет в регионе во время протестов", "ru"),
        ("السلطات تقطع الإنترنت عن البلاد خلال الاحتجاجات", "ar"),
    ],
)
def test_detects_language(text, lang):
    assert detect_language(text) == lang


def test_hint_decides_short_or_empty_text():
    assert detect_language("", hint="fr-FR") == "fr"
    assert detect_language("OK", hint=None) == "und"
