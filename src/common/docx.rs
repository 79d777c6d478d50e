//! A Word document (DOCX) of headings, paragraphs and tables: what the committee's documents
//! need to be edited in the word processor they already use. Written by hand (WordprocessingML
//! in a stored zip), because the documents are plain and the crates that write DOCX bring a
//! second XML stack for features nobody here uses. Every text is XML-escaped; the bytes depend
//! on the content only (no clock), so the same report writes the same file.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use crate::error::{PurseError, Result};

/// A run of text in a paragraph.
#[derive(Debug, Clone)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    /// A colour as six hex digits (`C0392B`), for a severity word.
    pub color: Option<&'static str>,
    /// Smaller and grey (evidence beside a finding).
    pub small: bool,
}

impl Run {
    pub fn plain(text: impl Into<String>) -> Run {
        Run {
            text: text.into(),
            bold: false,
            color: None,
            small: false,
        }
    }
    pub fn bold(text: impl Into<String>) -> Run {
        Run {
            bold: true,
            ..Run::plain(text)
        }
    }
}

/// A block of the document.
#[derive(Debug, Clone)]
pub enum Block {
    Title(String),
    /// A centred line under the title.
    Subtitle(String),
    Heading(String),
    Paragraph(Vec<Run>),
    /// A table: its header row, then its rows.
    Table(Vec<String>, Vec<Vec<String>>),
}

/// The document's body as WordprocessingML.
fn body(blocks: &[Block]) -> String {
    let mut x = String::new();
    for b in blocks {
        match b {
            Block::Title(t) => para(&mut x, Some("Title"), true, &[Run::plain(t.as_str())]),
            Block::Subtitle(t) => para(&mut x, Some("Subtitle"), true, &[Run::plain(t.as_str())]),
            Block::Heading(t) => para(&mut x, Some("Heading1"), false, &[Run::plain(t.as_str())]),
            Block::Paragraph(runs) => para(&mut x, None, false, runs),
            Block::Table(head, rows) => {
                x.push_str("<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"0\" w:type=\"auto\"/></w:tblPr>");
                for (i, r) in std::iter::once(head).chain(rows.iter()).enumerate() {
                    x.push_str("<w:tr>");
                    for c in r {
                        x.push_str("<w:tc><w:tcPr><w:tcW w:w=\"0\" w:type=\"auto\"/></w:tcPr>");
                        let run = if i == 0 {
                            Run::bold(c.as_str())
                        } else {
                            Run::plain(c.as_str())
                        };
                        para(&mut x, None, false, &[run]);
                        x.push_str("</w:tc>");
                    }
                    x.push_str("</w:tr>");
                }
                x.push_str("</w:tbl>");
            }
        }
    }
    x
}

fn para(x: &mut String, style: Option<&str>, centred: bool, runs: &[Run]) {
    x.push_str("<w:p>");
    if style.is_some() || centred {
        x.push_str("<w:pPr>");
        if let Some(s) = style {
            x.push_str(&format!("<w:pStyle w:val=\"{s}\"/>"));
        }
        if centred {
            x.push_str("<w:jc w:val=\"center\"/>");
        }
        x.push_str("</w:pPr>");
    }
    for r in runs {
        x.push_str("<w:r>");
        if r.bold || r.color.is_some() || r.small {
            x.push_str("<w:rPr>");
            if r.bold {
                x.push_str("<w:b/>");
            }
            match (r.color, r.small) {
                (Some(c), _) => x.push_str(&format!("<w:color w:val=\"{c}\"/>")),
                (None, true) => x.push_str("<w:color w:val=\"555555\"/>"),
                _ => {}
            }
            if r.small {
                x.push_str("<w:sz w:val=\"20\"/>");
            }
            x.push_str("</w:rPr>");
        }
        x.push_str("<w:t xml:space=\"preserve\">");
        x.push_str(&escape(&r.text));
        x.push_str("</w:t></w:r>");
    }
    x.push_str("</w:p>");
}

/// Text as XML character data: markup characters escaped, and the characters XML 1.0 cannot
/// carry at all (C0 controls other than tab and line breaks) dropped.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Styles: 仿宋-like body in a CJK font, headings in 黑体, a grid table.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="FangSong"/><w:sz w:val="24"/><w:lang w:val="zh-CN" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="360" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:after="240"/></w:pPr><w:rPr><w:rFonts w:eastAsia="SimHei"/><w:b/><w:sz w:val="36"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/><w:rPr><w:color w:val="555555"/><w:sz w:val="21"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="SimHei"/><w:b/><w:sz w:val="28"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:left w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:right w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="999999"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="999999"/></w:tblBorders></w:tblPr></w:style></w:styles>"#;

/// The document `blocks` make, titled `title`, as DOCX bytes.
pub fn write(title: &str, blocks: &[Block]) -> Result<Vec<u8>> {
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1440\" w:right=\"1588\" w:bottom=\"1440\" w:left=\"1588\" w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
        body(blocks)
    );
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:creator>purse</dc:creator></cp:coreProperties>",
        escape(title)
    );
    let parts: [(&str, &str); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("docProps/core.xml", &core),
        ("word/_rels/document.xml.rels", DOC_RELS),
        ("word/styles.xml", STYLES),
        ("word/document.xml", &document),
    ];
    let zerr = |e: zip::result::ZipError| PurseError::Internal(format!("writing DOCX: {e}"));
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, text) in parts {
        z.start_file(name, opts).map_err(zerr)?;
        z.write_all(text.as_bytes())
            .map_err(|e| PurseError::Internal(format!("writing DOCX: {e}")))?;
    }
    Ok(z.finish().map_err(zerr)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn part(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
        let mut s = String::new();
        z.by_name(name)
            .expect("the part")
            .read_to_string(&mut s)
            .expect("UTF-8");
        s
    }

    /// The parts Word needs are there, text is escaped (a `<` in a project name cannot break
    /// the document), control characters XML cannot carry are dropped, and the same content
    /// writes the same bytes.
    #[test]
    fn writes_an_escaped_package_deterministically() {
        let blocks = vec![
            Block::Title("关于示范市2026年预算草案的初步审查意见".into()),
            Block::Heading("一、重点支出".into()),
            Block::Paragraph(vec![
                Run::bold("项目<A>&\"B\""),
                Run::plain("涉及\u{1}1,200.00万元"),
            ]),
            Block::Table(vec!["规则".into()], vec![vec!["a<b".into()]]),
        ];
        let a = write("标题 & <x>", &blocks).expect("written");
        let b = write("标题 & <x>", &blocks).expect("written");
        assert_eq!(a, b);
        let doc = part(&a, "word/document.xml");
        assert!(doc.contains("<w:pStyle w:val=\"Title\"/>"));
        assert!(doc.contains("项目&lt;A&gt;&amp;&quot;B&quot;"), "{doc}");
        assert!(doc.contains("涉及1,200.00万元"));
        assert!(doc.contains("<w:t xml:space=\"preserve\">a&lt;b</w:t>"));
        assert!(!doc.contains('\u{1}'));
        assert!(
            part(&a, "docProps/core.xml").contains("<dc:title>标题 &amp; &lt;x&gt;</dc:title>")
        );
        assert!(part(&a, "[Content_Types].xml").contains("/word/document.xml"));
        assert!(part(&a, "word/_rels/document.xml.rels").contains("styles.xml"));
    }
}
