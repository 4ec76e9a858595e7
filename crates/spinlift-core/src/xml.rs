//! AWS's XML answers read into a small element tree with quick-xml's pull reader.
//!
//! The answers spinlift reads (S3 listings, multipart and copy results, errors, SNS and STS
//! results) are small and shallow; a tree with name, text and children covers them all, and
//! costs far less code in the component than a derived deserializer per answer type.
//! Namespaces are ignored (local names only); entity and character references are resolved.
//! Depth and element count are bounded, so a hostile answer cannot exhaust the stack (the
//! tree is dropped recursively) or memory.

use quick_xml::events::Event;
use std::fmt;

/// One element: its local name, its own text (references resolved), its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name, e.g. `Contents`.
    pub name: String,
    /// The text directly inside, concatenated.
    pub text: String,
    /// Child elements, in document order.
    pub children: Vec<Element>,
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

impl XmlError {
    /// An error saying what the document lacks.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// The deepest nesting read; AWS answers are a handful of levels deep.
const MAX_DEPTH: usize = 32;
/// The most elements read: a 1000-entry listing has about 6000.
const MAX_ELEMENTS: usize = 100_000;

/// Parses a document into its root element.
///
/// # Errors
/// Not UTF-8, not well-formed, an unknown entity, or no root element.
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    let text =
        std::str::from_utf8(body).map_err(|_| XmlError("the document is not UTF-8".into()))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut elements = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|err| XmlError(format!("not well-formed XML: {err}")))?;
        if matches!(event, Event::Start(_) | Event::Empty(_)) {
            elements += 1;
            if stack.len() >= MAX_DEPTH || elements > MAX_ELEMENTS {
                return Err(XmlError(
                    "the document is nested too deep or too large".into(),
                ));
            }
        }
        match event {
            Event::Start(start) => stack.push(Element {
                name: local(start.name().into_inner()),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: local(start.name().into_inner()),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError("an unmatched end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => predefined(&reference.into_inner()).ok_or_else(|| {
                        XmlError("an entity other than the five XML predefines".into())
                    })?,
                    Err(_) => return Err(XmlError("an invalid character reference".into())),
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push(resolved);
                }
            }
            Event::Eof => return Err(XmlError("the document has no complete root element".into())),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

fn local(qualified: &str) -> String {
    qualified.rsplit(':').next().unwrap_or(qualified).to_owned()
}

fn predefined(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names below this one.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// The text of the child named `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The first element named `name` anywhere below this one (depth first).
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.find(name)
            }
        })
    }

    /// The text of the child named `name`, which must be there.
    ///
    /// # Errors
    /// The child is missing.
    pub fn required(&self, name: &str) -> Result<&str, XmlError> {
        self.text_of(name)
            .ok_or_else(|| XmlError(format!("<{}> has no <{name}>", self.name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_references_namespaces_and_nesting() {
        let doc = parse(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<Contents><Key>a &amp; b &lt;c&gt; &#x1F600; &#233;</Key><Size>3</Size></Contents>
<Contents><Key><![CDATA[x<y]]></Key></Contents><Empty/></ListBucketResult>"#,
        )
        .unwrap();
        assert_eq!(doc.name, "ListBucketResult");
        let keys: Vec<&str> = doc
            .children("Contents")
            .filter_map(|c| c.text_of("Key"))
            .collect();
        assert_eq!(keys, ["a & b <c> \u{1F600} \u{e9}", "x<y"]);
        assert_eq!(doc.at(&["Contents", "Size"]).unwrap().text, "3");
        assert!(doc.child("Empty").is_some());
        assert_eq!(doc.find("Size").unwrap().text, "3");
    }

    #[test]
    fn keys_keep_their_spaces_and_carriage_returns() {
        let doc = parse(
            b"<R><Key> a &#xD;b&#13; </Key><ETag>&quot;e&quot;</ETag><C><![CDATA[x\r\ny]]></C></R>",
        )
        .unwrap();
        assert_eq!(doc.text_of("Key"), Some(" a \rb\r "));
        assert_eq!(doc.text_of("ETag"), Some("\"e\""));
        assert_eq!(doc.text_of("C"), Some("x\ny"));
    }

    #[test]
    fn deep_or_huge_documents_are_refused_not_overflowed() {
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert!(parse(deep.as_bytes()).is_err());
        let wide = format!("<r>{}</r>", "<a/>".repeat(MAX_ELEMENTS + 1));
        assert!(parse(wide.as_bytes()).is_err());
        let fine = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH - 1),
            "</a>".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(fine.as_bytes()).is_ok());
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in [
            &b"<a><b></a>"[..],
            b"",
            b"<a>",
            b"<a>&nope;</a>",
            b"<a>&#0;</a>",
            b"\xff",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
