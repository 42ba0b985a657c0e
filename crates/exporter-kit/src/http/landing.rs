//! The HTML landing page at `/`.

use crate::spec::Spec;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn render(spec: &Spec, links: &[(String, String)], collectors: &[&str]) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{binary}</title></head>\n<body>\n\
         <h1>{binary}</h1>\n<p>{about}</p>\n<p>Version {version} (revision {revision}), a drop-in replacement for {name}.</p>\n<ul>\n",
        binary = escape(spec.binary),
        about = escape(spec.about),
        version = crate::build_info::VERSION,
        revision = escape(crate::build_info::REVISION),
        name = escape(spec.name),
    );
    for (href, text) in links {
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            escape(href),
            escape(text)
        ));
    }
    html.push_str("</ul>\n");
    if !collectors.is_empty() {
        html.push_str("<h2>Enabled collectors</h2>\n<ul>\n");
        for c in collectors {
            html.push_str(&format!("<li>{}</li>\n", escape(c)));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}
