"""One map between the relay's language codes and NLLB-200's FLORES-200 codes (``hat_Latn``, ``swh_Latn``).

NLLB names each of its 202 languages by ISO 639-3 plus an ISO 15924 script. The relay speaks ISO 639-1
where a language has one (``ht``, ``sw``) and ISO 639-3 otherwise (``ace``, ``fuv``). Most codes follow
from the ISO tables alone; the overrides are NLLB's choices of one individual language for a
macrolanguage (Arabic is Modern Standard ``arb``, Persian is Iranian ``pes``, Swahili is ``swh``...), and
the second script of a language gets ``<code>-<script>`` (``ks-deva``), except Traditional Chinese, which
is ``zt`` as in argos, so the same text has the same code whichever engine serves it.
"""

from __future__ import annotations

from translation.iso639 import ISO639

# The language tokens of NLLB-200 (facebook/nllb-200-*), in the model's order.
NLLB_CODES: tuple[str, ...] = (
    "ace_Arab", "ace_Latn", "acm_Arab", "acq_Arab", "aeb_Arab", "afr_Latn", "ajp_Arab", "aka_Latn", "amh_Ethi",
    "apc_Arab", "arb_Arab", "ars_Arab", "ary_Arab", "arz_Arab", "asm_Beng", "ast_Latn", "awa_Deva", "ayr_Latn",
    "azb_Arab", "azj_Latn", "bak_Cyrl", "bam_Latn", "ban_Latn", "bel_Cyrl", "bem_Latn", "ben_Beng", "bho_Deva",
    "bjn_Arab", "bjn_Latn", "bod_Tibt", "bos_Latn", "bug_Latn", "bul_Cyrl", "cat_Latn", "ceb_Latn", "ces_Latn",
    "cjk_Latn", "ckb_Arab", "crh_Latn", "cym_Latn", "dan_Latn", "deu_Latn", "dik_Latn", "dyu_Latn", "dzo_Tibt",
    "ell_Grek", "eng_Latn", "epo_Latn", "est_Latn", "eus_Latn", "ewe_Latn", "fao_Latn", "pes_Arab", "fij_Latn",
    "fin_Latn", "fon_Latn", "fra_Latn", "fur_Latn", "fuv_Latn", "gla_Latn", "gle_Latn", "glg_Latn", "grn_Latn",
    "guj_Gujr", "hat_Latn", "hau_Latn", "heb_Hebr", "hin_Deva", "hne_Deva", "hrv_Latn", "hun_Latn", "hye_Armn",
    "ibo_Latn", "ilo_Latn", "ind_Latn", "isl_Latn", "ita_Latn", "jav_Latn", "jpn_Jpan", "kab_Latn", "kac_Latn",
    "kam_Latn", "kan_Knda", "kas_Arab", "kas_Deva", "kat_Geor", "knc_Arab", "knc_Latn", "kaz_Cyrl", "kbp_Latn",
    "kea_Latn", "khm_Khmr", "kik_Latn", "kin_Latn", "kir_Cyrl", "kmb_Latn", "kon_Latn", "kor_Hang", "kmr_Latn",
    "lao_Laoo", "lvs_Latn", "lij_Latn", "lim_Latn", "lin_Latn", "lit_Latn", "lmo_Latn", "ltg_Latn", "ltz_Latn",
    "lua_Latn", "lug_Latn", "luo_Latn", "lus_Latn", "mag_Deva", "mai_Deva", "mal_Mlym", "mar_Deva", "min_Latn",
    "mkd_Cyrl", "plt_Latn", "mlt_Latn", "mni_Beng", "khk_Cyrl", "mos_Latn", "mri_Latn", "zsm_Latn", "mya_Mymr",
    "nld_Latn", "nno_Latn", "nob_Latn", "npi_Deva", "nso_Latn", "nus_Latn", "nya_Latn", "oci_Latn", "gaz_Latn",
    "ory_Orya", "pag_Latn", "pan_Guru", "pap_Latn", "pol_Latn", "por_Latn", "prs_Arab", "pbt_Arab", "quy_Latn",
    "ron_Latn", "run_Latn", "rus_Cyrl", "sag_Latn", "san_Deva", "sat_Beng", "scn_Latn", "shn_Mymr", "sin_Sinh",
    "slk_Latn", "slv_Latn", "smo_Latn", "sna_Latn", "snd_Arab", "som_Latn", "sot_Latn", "spa_Latn", "als_Latn",
    "srd_Latn", "srp_Cyrl", "ssw_Latn", "sun_Latn", "swe_Latn", "swh_Latn", "szl_Latn", "tam_Taml", "tat_Cyrl",
    "tel_Telu", "tgk_Cyrl", "tgl_Latn", "tha_Thai", "tir_Ethi", "taq_Latn", "taq_Tfng", "tpi_Latn", "tsn_Latn",
    "tso_Latn", "tuk_Latn", "tum_Latn", "tur_Latn", "twi_Latn", "tzm_Tfng", "uig_Arab", "ukr_Cyrl", "umb_Latn",
    "urd_Arab", "uzn_Latn", "vec_Latn", "vie_Latn", "war_Latn", "wol_Latn", "xho_Latn", "ydd_Hebr", "yor_Latn",
    "yue_Hant", "zho_Hans", "zho_Hant", "zul_Latn",
)

# Where the ISO tables alone do not give the code: an individual language NLLB picked for a
# macrolanguage, or the primary script of a language NLLB has in two scripts.
_OVERRIDES: dict[str, str] = {
    "ar": "arb_Arab", "fa": "pes_Arab", "ps": "pbt_Arab", "sw": "swh_Latn", "ms": "zsm_Latn", "lv": "lvs_Latn",
    "mn": "khk_Cyrl", "mg": "plt_Latn", "ne": "npi_Deva", "uz": "uzn_Latn", "az": "azj_Latn", "om": "gaz_Latn",
    "sq": "als_Latn", "yi": "ydd_Hebr", "or": "ory_Orya", "qu": "quy_Latn", "ay": "ayr_Latn", "kr": "knc_Latn",
    "ku": "kmr_Latn", "ff": "fuv_Latn", "et": "est_Latn", "zh": "zho_Hans", "zt": "zho_Hant", "ks": "kas_Arab",
    "ace": "ace_Latn", "bjn": "bjn_Latn", "taq": "taq_Latn", "kr-arab": "knc_Arab",
}

_THREE_TO_TWO = {three: two for two, (three, _name) in ISO639.items()}


def _build() -> dict[str, str]:
    table = dict(_OVERRIDES)
    taken = set(table.values())
    for flores in NLLB_CODES:
        if flores in taken:
            continue
        language, script = flores.split("_")
        code = _THREE_TO_TWO.get(language, language)
        if code in table:  # the language's other script
            code = f"{code}-{script.lower()}"
        if code in table:
            raise AssertionError(f"flores map: {code} given twice")  # a mistake in the table above
        table[code] = flores
    unknown = set(table.values()) - set(NLLB_CODES)
    if unknown:
        raise AssertionError(f"flores map: not NLLB codes: {sorted(unknown)}")
    return table


TO_FLORES: dict[str, str] = _build()
FROM_FLORES: dict[str, str] = {flores: code for code, flores in TO_FLORES.items()}


def to_flores(code: str) -> str | None:
    """NLLB's token for one of our codes (``ht`` -> ``hat_Latn``), or None when NLLB has no such language."""
    return TO_FLORES.get(code.strip().lower())


def from_flores(flores: str) -> str | None:
    """Our code for an NLLB token (``swh_Latn`` -> ``sw``), or None for a token that is not a language."""
    return FROM_FLORES.get(flores)
