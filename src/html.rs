//! The article in a saved HTML page, found with an HTML5 parser: its text with
//! paragraphs on lines, the headline, the publication time, the byline, and
//! the site footer kept aside. Selectors come from `pipelines/lexicon/html.toml`.

use cssparser::ToCss;
use scraper::{ElementRef, Html, Node, Selector};
use serde::Deserialize;

/// `html.toml`, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtmlRulesFile {
    pub content: Vec<String>,
    pub remove: Vec<String>,
    pub footer: Vec<String>,
    pub title: Vec<String>,
    pub published_meta: Vec<String>,
    pub published_text: Vec<String>,
    pub author: Vec<String>,
    pub url: Vec<String>,
    pub min_article_chars: usize,
}

/// The rules with their selectors parsed.
pub struct HtmlRules {
    content: Vec<Selector>,
    /// Every `remove` selector in one list: one match call per element
    /// instead of one per selector (each call sets up its own caches).
    remove: Option<Selector>,
    footer: Vec<Selector>,
    title: Vec<Selector>,
    published_meta: Vec<Selector>,
    published_text: Vec<Selector>,
    author: Vec<Selector>,
    url: Vec<Selector>,
    min_article_chars: usize,
}

impl HtmlRules {
    /// Parses every selector; the error names the one that does not parse.
    pub fn compile(file: &HtmlRulesFile) -> Result<HtmlRules, String> {
        let parse = |list: &[String]| -> Result<Vec<Selector>, String> {
            list.iter()
                .map(|s| Selector::parse(s).map_err(|e| format!("selector {s:?} does not parse: {e}")))
                .collect()
        };
        Ok(HtmlRules {
            content: parse(&file.content)?,
            remove: {
                // Each is parsed alone first, so that an error names the one at
                // fault, then joined as it reads once parsed (cssparser's
                // serialization: comments dropped, strings and brackets closed),
                // so that none runs into the next.
                let each = parse(&file.remove)?;
                match each.is_empty() {
                    true => None,
                    false => {
                        let joined: Vec<String> = each.iter().map(|s| s.to_css_string()).collect();
                        Some(
                            Selector::parse(&joined.join(", "))
                                .map_err(|e| format!("the remove selectors do not parse as one list: {e}"))?,
                        )
                    }
                }
            },
            footer: parse(&file.footer)?,
            title: parse(&file.title)?,
            published_meta: parse(&file.published_meta)?,
            published_text: parse(&file.published_text)?,
            author: parse(&file.author)?,
            url: parse(&file.url)?,
            min_article_chars: file.min_article_chars,
        })
    }
}

/// What a page holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    pub text: String,
    pub title: Option<String>,
    /// As written in the page (ISO 8601 or a Vietnamese stamp).
    pub published: Option<String>,
    pub author: Option<String>,
    pub footer: String,
    pub url: Option<String>,
}

/// The charset a page declares in its first bytes (`<meta charset=...>` or
/// `content="text/html; charset=..."`), lowercased.
pub fn declared_charset(bytes: &[u8]) -> Option<String> {
    // The label is ASCII: the head is searched as bytes, folded to lowercase.
    let head = bytes[..bytes.len().min(4096)].to_ascii_lowercase();
    let at = head.windows(7).position(|w| w == b"charset")?;
    let rest = &head[at + 7..];
    let from = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'=' | b'"' | b'\''))
        .unwrap_or(rest.len());
    let name: String = rest[from..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        .map(|&b| char::from(b))
        .collect();
    (!name.is_empty()).then_some(name)
}

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "section",
    "article",
    "blockquote",
    "figcaption",
    "figure",
    "dd",
    "dt",
    "pre",
    "hr",
    "main",
    "footer",
    "td",
];

fn is_removed(el: &ElementRef, rules: &HtmlRules) -> bool {
    rules.remove.as_ref().is_some_and(|s| s.matches(el))
}

/// Text of an element with block elements on their own lines.
fn block_text(el: ElementRef, rules: &HtmlRules, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                if is_removed(&child_el, rules) {
                    continue;
                }
                let block = BLOCKS.contains(&e.name());
                if block {
                    out.push('\n');
                }
                block_text(child_el, rules, out);
                if block {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
}

/// The lines of `s` with their words joined by single spaces, blank lines
/// dropped, written into one buffer (not a string per line, then a join).
fn clean_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // `trim` and `split_whitespace` agree on what white space is: a line
    // left empty by one has no words for the other.
    for line in s.lines().filter(|l| !l.trim().is_empty()) {
        if !out.is_empty() {
            out.push('\n');
        }
        crate::vntext::push_collapsed_spaces(&mut out, line);
    }
    out
}

fn letter_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|c| crate::vntext::is_letter(*c))
}

fn letters(s: &str) -> usize {
    letter_chars(s).count()
}

/// Whether `s` holds at least `n` letters: the count stops there, as an
/// article is thousands of letters long and the question is about hundreds.
fn has_letters(s: &str, n: usize) -> bool {
    n == 0 || letter_chars(s).nth(n - 1).is_some()
}

/// The element that most likely holds the article: a known content container,
/// else the one whose own paragraphs hold the most text. With the container,
/// its text, read to measure it.
fn article_element<'a>(doc: &'a Html, rules: &HtmlRules) -> Option<(ElementRef<'a>, Option<String>)> {
    for sel in &rules.content {
        for el in doc.select(sel) {
            let mut t = String::new();
            block_text(el, rules, &mut t);
            if has_letters(&t, rules.min_article_chars) {
                return Some((el, Some(t)));
            }
        }
    }
    let p = Selector::parse("p").ok()?;
    let candidates = Selector::parse("div, td, section, article, main, body").ok()?;
    doc.select(&candidates)
        .filter(|el| !is_removed(el, rules))
        .map(|el| {
            let own: usize = el
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| p.matches(c))
                .map(|c| c.text().map(letters).sum::<usize>())
                .sum();
            (own, el)
        })
        .filter(|(own, _)| *own >= rules.min_article_chars / 2)
        .max_by_key(|(own, _)| *own)
        .map(|(_, el)| (el, None))
}

fn first_text(doc: &Html, sels: &[Selector]) -> Option<String> {
    for sel in sels {
        for el in doc.select(sel) {
            let v = el.value();
            let t = v
                .attr("content")
                .or_else(|| v.attr("datetime"))
                .or_else(|| v.attr("href"))
                .map(str::to_string)
                .unwrap_or_else(|| el.text().collect::<Vec<_>>().join(" "));
            let t = crate::vntext::collapse_spaces(&t);
            if !t.is_empty() {
                return Some(t);
            }
        }
    }
    None
}

/// Reads the article of a page. None when no element holds an article.
pub fn extract(html: &str, rules: &HtmlRules) -> Option<Article> {
    let doc = Html::parse_document(html);
    let (el, text) = article_element(&doc, rules)?;
    let text = text.unwrap_or_else(|| {
        let mut t = String::new();
        block_text(el, rules, &mut t);
        t
    });
    let text = clean_lines(&text);
    if !has_letters(&text, rules.min_article_chars / 2) {
        return None;
    }
    let mut footer = String::new();
    for sel in &rules.footer {
        if let Some(f) = doc.select(sel).next() {
            let mut t = String::new();
            block_text(f, rules, &mut t);
            footer = clean_lines(&t);
            if !footer.is_empty() {
                break;
            }
        }
    }
    Some(Article {
        text,
        title: first_text(&doc, &rules.title),
        published: first_text(&doc, &rules.published_meta)
            .or_else(|| first_text(&doc, &rules.published_text)),
        author: first_text(&doc, &rules.author),
        footer,
        url: first_text(&doc, &rules.url),
    })
}

/// Text of an HTML fragment (a crawl dump's body), without looking for an article.
pub fn fragment_text(html: &str, rules: &HtmlRules) -> String {
    let frag = Html::parse_fragment(html);
    let mut t = String::new();
    block_text(frag.root_element(), rules, &mut t);
    clean_lines(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> HtmlRules {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon/html.toml");
        let file: HtmlRulesFile = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        HtmlRules::compile(&file).unwrap()
    }

    const PAGE: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Cổng thông tin điện tử phường Phúc La</title>
<meta property="og:title" content="Phường Phúc La tổng kết công tác năm 2023">
<meta property="article:published_time" content="2024-01-10T08:30:00+07:00">
<script>var x = "Đảng ủy phường";</script></head><body>
<div class="menu"><ul><li>Trang chủ</li><li>Tin tức</li></ul></div>
<div class="news-detail"><h1>Phường Phúc La tổng kết công tác năm 2023</h1>
<p>Chiều 9/1, Đảng ủy phường Phúc La tổ chức Hội nghị tổng kết công tác năm 2023.</p>
<p>Dự hội nghị có đồng chí Đỗ Minh Khuê, Phó Chủ tịch UBND quận Hà Đông.<br>Năm 2023, thu ngân sách đạt 286.412 triệu đồng, vượt kế hoạch đề ra.</p>
<div class="share">Chia sẻ Facebook</div><div class="related">Tin liên quan: Hội nghị khác</div>
<p class="author">Minh Châu</p></div>
<div class="sidebar">Thống kê truy cập: 1204</div>
<footer>Địa chỉ: số 1 phố Lê Lợi, phường Phúc La, quận Hà Đông, Hà Nội<br>Chịu trách nhiệm nội dung: Trịnh Thu Hằng</footer>
</body></html>"#;

    #[test]
    fn finds_the_article_and_its_facts() {
        let a = extract(PAGE, &rules()).unwrap();
        assert!(a.text.starts_with("Phường Phúc La tổng kết"), "{}", a.text);
        assert!(a
            .text
            .contains("\nDự hội nghị có đồng chí Đỗ Minh Khuê, Phó Chủ tịch UBND quận Hà Đông.\nNăm 2023"));
        for clutter in ["Trang chủ", "Chia sẻ", "Tin liên quan", "Thống kê", "var x"] {
            assert!(!a.text.contains(clutter), "{clutter} left in: {}", a.text);
        }
        assert_eq!(
            a.title.as_deref(),
            Some("Phường Phúc La tổng kết công tác năm 2023")
        );
        assert_eq!(a.published.as_deref(), Some("2024-01-10T08:30:00+07:00"));
        assert_eq!(a.author.as_deref(), Some("Minh Châu"));
        assert!(a.footer.contains("Chịu trách nhiệm nội dung: Trịnh Thu Hằng"));
    }

    #[test]
    fn an_empty_remove_list_removes_nothing_and_a_bad_selector_is_named() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/lexicon/html.toml");
        let mut file: HtmlRulesFile = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        file.remove.clear();
        let a = extract(PAGE, &HtmlRules::compile(&file).unwrap()).unwrap();
        // The share bar inside the article stays.
        assert!(a.text.contains("Chia sẻ Facebook"), "{}", a.text);
        // A comment or an open bracket left at a selector's end does not
        // swallow the next one: the share bar is removed.
        for open in ["nav /* menus", "nav:not(.x", "[class=\"x"] {
            file.remove = vec!["script".into(), open.into(), "[class*=share]".into()];
            let a = extract(PAGE, &HtmlRules::compile(&file).unwrap()).unwrap();
            assert!(!a.text.contains("Chia sẻ"), "{open}: {}", a.text);
        }
        file.remove = vec!["nav".into(), "div[".into()];
        let err = HtmlRules::compile(&file).err().unwrap();
        assert!(err.starts_with("selector \"div[\" does not parse"), "{err}");
    }

    #[test]
    fn lines_are_cleaned_as_each_line_collapsed_and_the_blank_ones_dropped() {
        let text = "  Dự hội nghị \u{a0}có\tđồng chí \r\n\n \u{a0} \nNăm 2023,  thu ngân sách\n\n";
        let reference: Vec<String> = text
            .lines()
            .map(crate::vntext::collapse_spaces)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(clean_lines(text), reference.join("\n"));
        assert_eq!(
            clean_lines(text),
            "Dự hội nghị có đồng chí\nNăm 2023, thu ngân sách"
        );
        assert_eq!(clean_lines(" \n\t\n"), "");
    }

    #[test]
    fn letters_are_counted_up_to_the_threshold_asked() {
        // "Đảng ủy 2024!" has 6 letters: digits, spaces and marks do not count.
        assert_eq!(letters("Đảng ủy 2024!"), 6);
        assert!(has_letters("Đảng ủy 2024!", 6));
        assert!(!has_letters("Đảng ủy 2024!", 7));
        assert!(has_letters("", 0));
        assert!(!has_letters("", 1));
    }

    #[test]
    fn selectors_are_tried_in_the_rules_order_not_the_pages() {
        // The <title> and a ".news-detail" block come first in the page, but
        // "h1" and "[itemprop=articleBody]" come first in html.toml: those win.
        // The first "footer" element is empty, so "#footer" is read.
        let long = "Hội đồng nhân dân xã Tân Hội tổ chức kỳ họp thứ mười, khóa XII. ".repeat(5);
        let html = format!(
            "<html><head><title>Cổng thông tin xã Tân Hội</title></head><body>\
             <div class='news-detail'><p>Tin cũ. {long}</p></div>\
             <h1>Kỳ họp thứ mười</h1>\
             <div itemprop='articleBody'><p>Tin mới. {long}</p></div>\
             <footer> </footer><div id='footer'>Địa chỉ: số 2 đường Hùng Vương</div>\
             </body></html>"
        );
        let a = extract(&html, &rules()).unwrap();
        assert!(a.text.starts_with("Tin mới."), "{}", a.text);
        assert_eq!(a.title.as_deref(), Some("Kỳ họp thứ mười"));
        assert_eq!(a.footer, "Địa chỉ: số 2 đường Hùng Vương");
        // Without the h1, the <title> is the next choice.
        let a = extract(&html.replace("<h1>Kỳ họp thứ mười</h1>", ""), &rules()).unwrap();
        assert_eq!(a.title.as_deref(), Some("Cổng thông tin xã Tân Hội"));
    }

    #[test]
    fn a_page_without_an_article() {
        let html = "<html><body><div class='menu'>Trang chủ</div><p>Xin chào</p></body></html>";
        assert_eq!(extract(html, &rules()), None);
    }

    #[test]
    fn densest_block_when_no_known_container() {
        let long = "Đảng ủy xã Tân Hội tổ chức hội nghị tổng kết công tác xây dựng Đảng năm 2020. ".repeat(4);
        let html = format!(
            "<html><body><div id='x'><p>{long}</p><p>{long}</p></div><div><p>Liên hệ</p></div></body></html>"
        );
        let a = extract(&html, &rules()).unwrap();
        assert!(a.text.contains("Tân Hội"));
        assert!(!a.text.contains("Liên hệ"));
    }

    #[test]
    fn charset_is_sniffed() {
        assert_eq!(
            declared_charset(br#"<meta charset="windows-1258">"#).as_deref(),
            Some("windows-1258")
        );
        assert_eq!(
            declared_charset(br#"<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">"#)
                .as_deref(),
            Some("utf-8")
        );
        assert_eq!(declared_charset(b"<html><body>"), None);
        // Any case, spaces and quotes around the label, a non-UTF-8 byte before it.
        assert_eq!(
            declared_charset(b"<title>\xe0</title><META CHARSET = 'TCVN_3'>").as_deref(),
            Some("tcvn_3")
        );
        assert_eq!(declared_charset(b"<meta charset=>"), None);
    }
}
