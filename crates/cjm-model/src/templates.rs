//! The maps `cjm new` starts from (and the web app's demo workspace shows).
//! Each passes `cjm check` with no warnings; a test holds them to that.

pub struct Template {
    pub name: &'static str,
    pub summary: &'static str,
    pub text: &'static str,
}

pub const ALL: &[Template] = &[
    Template {
        name: "ecommerce",
        summary: "Buying a laptop online: discover, compare, buy, delivery, use",
        text: include_str!("../templates/ecommerce.cjm"),
    },
    Template {
        name: "five-as",
        summary: "The five A's: aware, appeal, ask, act, advocate",
        text: include_str!("../templates/five-as.cjm"),
    },
    Template {
        name: "service",
        summary: "A service visit before, during and after (a clinic appointment)",
        text: include_str!("../templates/service.cjm"),
    },
    Template {
        name: "saas-onboarding",
        summary: "SaaS trial to paid, with a backstage lane (service blueprint)",
        text: include_str!("../templates/saas-onboarding.cjm"),
    },
    Template {
        name: "support",
        summary: "Multi-channel support: phone, email and chat, from problem to resolution",
        text: include_str!("../templates/support.cjm"),
    },
];

pub fn get(name: &str) -> Option<&'static Template> {
    ALL.iter().find(|t| t.name == name)
}
