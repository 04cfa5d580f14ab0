//! Channel icons, drawn for cjm (24×24, 2px strokes, round joins), one
//! `<symbol>` each. Channel names are free text; [`Channel::classify`] maps
//! the usual spellings onto the set.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Web,
    App,
    Email,
    Phone,
    Store,
    Social,
    Chat,
    Sms,
    Tv,
    Print,
    Ads,
    Search,
    WordOfMouth,
    Help,
    Newsletter,
    Video,
    Blog,
    Events,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 19] = [
        Channel::Web,
        Channel::App,
        Channel::Email,
        Channel::Phone,
        Channel::Store,
        Channel::Social,
        Channel::Chat,
        Channel::Sms,
        Channel::Tv,
        Channel::Print,
        Channel::Ads,
        Channel::Search,
        Channel::WordOfMouth,
        Channel::Help,
        Channel::Newsletter,
        Channel::Video,
        Channel::Blog,
        Channel::Events,
        Channel::Other,
    ];

    /// The icon for a channel as written in a map.
    pub fn classify(name: &str) -> Channel {
        let n: String = name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if has(&["wordofmouth", "referral", "friend", "recommend"]) {
            Channel::WordOfMouth
        } else if has(&["newsletter"]) {
            Channel::Newsletter
        } else if has(&["helpcent", "faq", "knowledge", "selfservice", "support site"]) {
            Channel::Help
        } else if has(&["email", "mail"]) && !has(&["direct", "post"]) {
            Channel::Email
        } else if has(&["sms", "text", "whatsapp", "imessage"]) {
            Channel::Sms
        } else if has(&["chat", "messenger", "bot"]) {
            Channel::Chat
        } else if has(&["phone", "call", "contact", "ivr", "telephone", "hotline"]) {
            Channel::Phone
        } else if has(&["app", "mobile"]) {
            Channel::App
        } else if has(&[
            "store", "shop", "branch", "desk", "inperson", "retail", "office", "clinic", "counter", "venue",
        ]) {
            Channel::Store
        } else if has(&["social", "instagram", "facebook", "tiktok", "linkedin", "twitter", "community"]) {
            Channel::Social
        } else if has(&["tv", "television", "broadcast"]) {
            Channel::Tv
        } else if has(&["print", "post", "letter", "directmail", "brochure", "leaflet", "catalog"]) {
            Channel::Print
        } else if has(&["ad", "banner", "billboard", "campaign", "promo"]) {
            Channel::Ads
        } else if has(&["search", "seo", "google", "bing"]) {
            Channel::Search
        } else if has(&["video", "youtube", "webinar"]) {
            Channel::Video
        } else if has(&["blog", "article", "content"]) {
            Channel::Blog
        } else if has(&["event", "conference", "meetup", "fair", "trade"]) {
            Channel::Events
        } else if has(&["web", "site", "online", "portal", "browser", "internet"]) {
            Channel::Web
        } else {
            Channel::Other
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::App => "app",
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::Store => "store",
            Channel::Social => "social",
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Tv => "tv",
            Channel::Print => "print",
            Channel::Ads => "ads",
            Channel::Search => "search",
            Channel::WordOfMouth => "word-of-mouth",
            Channel::Help => "help",
            Channel::Newsletter => "newsletter",
            Channel::Video => "video",
            Channel::Blog => "blog",
            Channel::Events => "events",
            Channel::Other => "other",
        }
    }

    /// The icon's drawing, in a 24×24 box.
    fn body(self) -> &'static str {
        match self {
            Channel::Web => {
                r#"<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.8 2.6 4 5.6 4 9s-1.2 6.4-4 9c-2.8-2.6-4-5.6-4-9s1.2-6.4 4-9z"/>"#
            }
            Channel::App => r#"<rect x="6.5" y="2.5" width="11" height="19" rx="2.5"/><path d="M11 18h2"/>"#,
            Channel::Email => r#"<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3.5 7l8.5 6 8.5-6"/>"#,
            Channel::Phone => {
                r#"<path d="M6.5 3.5h3l1.5 4.5-2 1.5a11 11 0 0 0 5.5 5.5l1.5-2 4.5 1.5v3a2 2 0 0 1-2 2C11 19.5 4.5 13 4.5 5.5a2 2 0 0 1 2-2z"/>"#
            }
            Channel::Store => r#"<path d="M3.5 9.5L5 4h14l1.5 5.5M4.5 9.5V20h15V9.5M3.5 9.5h17M10 20v-5h4v5"/>"#,
            Channel::Social => {
                r#"<circle cx="18" cy="5.5" r="2.5"/><circle cx="6" cy="12" r="2.5"/><circle cx="18" cy="18.5" r="2.5"/><path d="M8.3 10.8l7.4-4M8.3 13.2l7.4 4"/>"#
            }
            Channel::Chat => {
                r#"<path d="M20.5 11.5a8 8 0 0 1-11.8 7L4 19.5l1.1-4.4A8 8 0 1 1 20.5 11.5z"/><path d="M8.5 11.5h.01M12.5 11.5h.01M16.5 11.5h.01"/>"#
            }
            Channel::Sms => r#"<path d="M4 5h16v11h-9l-5 4v-4H4z"/><path d="M8 10.5h8"/>"#,
            Channel::Tv => r#"<rect x="2.5" y="7" width="19" height="13" rx="2"/><path d="M8 3l4 4 4-4"/>"#,
            Channel::Print => r#"<path d="M6 2.5h8.5l4 4V21.5H6z"/><path d="M14 2.5V7h4.5M9 11h7M9 14.5h7M9 18h4"/>"#,
            Channel::Ads => {
                r#"<path d="M3.5 10v4h3l7 5V5l-7 5z"/><path d="M17 9a4 4 0 0 1 0 6M19.5 6.5a7.5 7.5 0 0 1 0 11"/>"#
            }
            Channel::Search => r#"<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21"/>"#,
            Channel::WordOfMouth => {
                r#"<circle cx="8" cy="8" r="3"/><circle cx="16.5" cy="8" r="3"/><path d="M2.5 20a5.5 5.5 0 0 1 11 0M11 20a5.5 5.5 0 0 1 11 0"/>"#
            }
            Channel::Help => {
                r#"<circle cx="12" cy="12" r="9"/><path d="M9.5 9.2a2.6 2.6 0 1 1 3.6 2.4c-.7.3-1.1.9-1.1 1.6v.6M12 17h.01"/>"#
            }
            Channel::Newsletter => {
                r#"<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 8.5h10M7 12h10M7 15.5h6"/>"#
            }
            Channel::Video => {
                r#"<rect x="2.5" y="6" width="13.5" height="12" rx="2"/><path d="M16 10.5l5.5-3v9l-5.5-3z"/>"#
            }
            Channel::Blog => r#"<path d="M4 20l1-4.5L16 4.5l3.5 3.5L8.5 19z"/><path d="M13.5 7l3.5 3.5M4 20h16"/>"#,
            Channel::Events => {
                r#"<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4M8 14.5h.01M12 14.5h.01M16 14.5h.01"/>"#
            }
            Channel::Other => r#"<circle cx="12" cy="12" r="4"/>"#,
        }
    }

    /// The `<symbol>` definition; use with `<use href="#icon-ID">`.
    pub fn symbol(self, stroke: &str) -> String {
        format!(
            r#"<symbol id="icon-{}" viewBox="0 0 24 24"><g fill="none" stroke="{stroke}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{}</g></symbol>"#,
            self.id(),
            self.body()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Channel::{self, *};

    #[test]
    fn classifies_usual_names() {
        let cases = [
            ("web", Web),
            ("Website", Web),
            ("mobile app", App),
            ("e-mail", Email),
            ("phone", Phone),
            ("contact centre", Phone),
            ("store", Store),
            ("social", Social),
            ("Instagram", Social),
            ("live chat", Chat),
            ("SMS", Sms),
            ("TV", Tv),
            ("direct mail", Print),
            ("print", Print),
            ("ads", Ads),
            ("search", Search),
            ("word of mouth", WordOfMouth),
            ("help center", Help),
            ("FAQ", Help),
            ("newsletter", Newsletter),
            ("video", Video),
            ("blog", Blog),
            ("events", Events),
            ("carrier pigeon", Other),
        ];
        for (name, want) in cases {
            assert_eq!(Channel::classify(name), want, "{name}");
        }
    }
}
