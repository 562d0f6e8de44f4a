//! Every dashboard string in Russian and English, in one place, and the choice of language:
//! the `tmtm_lang` cookie (set by the language switch), else the first `ru`/`en` of
//! `Accept-Language`, else Russian. Templates read the strings as `t.<key>`.

use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::strings::STRINGS;

/// Name of the language cookie.
pub const LANG_COOKIE: &str = "tmtm_lang";

/// A dashboard language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    /// `ru` / `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// Parses `ru` / `en` (case-insensitive, region ignored: `en-GB` is English).
    pub fn parse(text: &str) -> Option<Lang> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a request (cookie, then `Accept-Language`, then Russian).
    pub fn of(headers: &HeaderMap) -> Lang {
        let cookie = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|h| super::csrf::cookie_value(h, LANG_COOKIE))
            .and_then(Lang::parse);
        if let Some(lang) = cookie {
            return lang;
        }
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            })
            .unwrap_or(Lang::Ru)
    }

    /// One string.
    pub fn text(self, key: &str) -> &'static str {
        STRINGS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("", |(_, ru, en)| if self == Lang::Ru { ru } else { en })
    }

    /// All strings as a JSON object for the templates.
    pub fn strings(self) -> Value {
        let map: Map<String, Value> = STRINGS
            .iter()
            .map(|(k, ru, en)| {
                let s = if self == Lang::Ru { ru } else { en };
                ((*k).to_owned(), Value::String((*s).to_owned()))
            })
            .collect();
        Value::Object(map)
    }
}

/// A business document type: id (goes into `doc_type`), Russian and English caption, and
/// whether it belongs to the sea set. `Сonnaissement` starts with a Cyrillic С (U+0421), as
/// in the original.
pub const DOC_TYPES: [(&str, &str, &str, bool); 10] = [
    ("WayBill", "СМГС Накладная", "SMGS waybill", false),
    ("Invoice", "Инвойс", "Invoice", false),
    ("PackList", "Упаковочный лист", "Packing list", false),
    (
        "QualityPassport",
        "Паспорт качества",
        "Quality passport",
        false,
    ),
    (
        "GoodsDeclaration",
        "Декларация на товары",
        "Goods declaration",
        false,
    ),
    (
        "WayBillRelease",
        "Накладная на отпуск запасов на сторону",
        "Waybill for release of stock",
        false,
    ),
    ("\u{0421}onnaissement", "Коносамент", "Bill of lading", true),
    ("Manifest", "Манифест", "Manifest", true),
    ("CargoPlan", "Грузовой план", "Cargo plan", true),
    (
        "LogisticInfo",
        "Перевозочная информация",
        "Logistic information",
        true,
    ),
];

/// The caption of a document type id (the id itself when unknown).
pub fn doc_type_caption(lang: Lang, id: &str) -> String {
    DOC_TYPES.iter().find(|(k, _, _, _)| *k == id).map_or_else(
        || id.to_owned(),
        |(_, ru, en, _)| (if lang == Lang::Ru { *ru } else { *en }).to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(&h), Lang::Ru);
        h.insert(ACCEPT_LANGUAGE, "de-DE,en-GB;q=0.8".parse().unwrap());
        assert_eq!(Lang::of(&h), Lang::En);
        h.insert(COOKIE, "a=b; tmtm_lang=ru".parse().unwrap());
        assert_eq!(Lang::of(&h), Lang::Ru);
    }

    #[test]
    fn every_key_is_unique_and_sea_set_uses_cyrillic_es() {
        let mut keys: Vec<_> = STRINGS.iter().map(|s| s.0).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), STRINGS.len());
        assert!(DOC_TYPES[6].0.starts_with('\u{0421}'));
        assert_eq!(doc_type_caption(Lang::En, "Invoice"), "Invoice");
        assert_eq!(doc_type_caption(Lang::Ru, "<x>"), "<x>");
    }
}
