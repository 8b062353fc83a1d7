//! Writes UN-style reports as PDF and HTML for the document tests: a cover block, a
//! summary, a table of contents, headings, numbered paragraphs that cross pages,
//! footnotes at the page foot, a running header with the symbol and a footer with the
//! page and the job number.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream, StringFormat};

/// One numbered paragraph and the footnote it cites, if any.
#[derive(Clone)]
pub struct Paragraph {
    pub heading: Option<&'static str>,
    pub text: String,
    pub footnote: Option<String>,
}

/// A report to write.
#[derive(Clone)]
pub struct Report {
    pub symbol: &'static str,
    pub job: &'static str,
    pub french: bool,
    pub date: &'static str,
    pub session: &'static str,
    pub agenda: &'static str,
    pub agenda_title: &'static str,
    pub title: &'static str,
    pub author: &'static str,
    pub summary: &'static str,
    pub paragraphs: Vec<Paragraph>,
}

/// Characters per line and lines per page of the body.
const LINE_CHARS: usize = 88;
const BODY_LINES: usize = 44;

impl Report {
    /// The report on non-punishment, with `n` paragraphs (long enough to cross pages).
    pub fn non_punishment(n: usize) -> Report {
        let headings = [
            (1, "I. Introduction"),
            (4, "II. The non-punishment principle in international law"),
            (
                9,
                "III. Victims arrested on cannabis farms and in forced criminality",
            ),
            (
                14,
                "IV. Remedies after conviction and the clearing of criminal records",
            ),
        ];
        let paragraphs = (1..=n)
            .map(|i| Paragraph {
                heading: headings.iter().find(|(at, _)| *at == i).map(|(_, h)| *h),
                text: english_paragraph(i),
                footnote: (i % 3 == 0).then(|| footnote_text(i)),
            })
            .collect();
        Report {
            symbol: "A/HRC/47/34",
            job: "GE.21-05291(E)",
            french: false,
            date: "17 April 2021",
            session: "Forty-seventh session",
            agenda: "Agenda item 3",
            agenda_title: "Promotion and protection of all human rights, civil, political, economic, social and cultural rights, including the right to development",
            title: "Implementation of the non-punishment principle",
            author: "Report of the Special Rapporteur on trafficking in persons, especially women and children, Siobhán Mullally",
            summary: "In the present report, the Special Rapporteur examines the implementation of the non-punishment principle for victims of trafficking in persons.",
            paragraphs,
        }
    }

    /// The French version of the same report.
    pub fn non_punishment_french(n: usize) -> Report {
        let mut report = Report::non_punishment(n);
        report.french = true;
        report.job = "GE.21-05291(F)";
        report.date = "17 avril 2021";
        report.session = "Quarante-septième session";
        report.agenda = "Point 3 de l’ordre du jour";
        report.agenda_title = "Promotion et protection de tous les droits de l’homme, civils, politiques, économiques, sociaux et culturels, y compris le droit au développement";
        report.title = "Application du principe de non-sanction";
        report.author = "Rapport de la Rapporteuse spéciale sur la traite des êtres humains, en particulier les femmes et les enfants, Siobhán Mullally";
        report.summary = "Dans le présent rapport, la Rapporteuse spéciale examine l’application du principe de non-sanction des victimes de la traite des êtres humains.";
        for (i, p) in report.paragraphs.iter_mut().enumerate() {
            p.text = french_paragraph(i + 1);
            p.heading = p.heading.map(|_| "I. Principes et obligations des États");
        }
        report
    }

    /// The paragraph text as a test expects to find it in a passage ("12. ...").
    pub fn expected_passage(&self, i: usize) -> String {
        let p = &self.paragraphs[i - 1];
        let mark = if p.footnote.is_some() {
            format!("{}", self.footnote_number(i))
        } else {
            String::new()
        };
        format!("{i}. {}{mark}", p.text)
    }

    /// The footnote number paragraph `i` cites (numbered through the document).
    pub fn footnote_number(&self, i: usize) -> usize {
        self.paragraphs[..i]
            .iter()
            .filter(|p| p.footnote.is_some())
            .count()
    }

    /// The report as PDF bytes.
    pub fn pdf(&self) -> Vec<u8> {
        let pages = self.layout();
        write_pdf(&pages, self.title)
    }

    /// Lines of each page: (text, font size, y).
    fn layout(&self) -> Vec<Vec<(String, f32, f32)>> {
        let mut pages: Vec<Vec<(String, f32, f32)>> = Vec::new();
        // The cover page.
        let (un, assembly, distr, original) = if self.french {
            (
                "Nations Unies",
                "Assemblée générale",
                "Distr. générale",
                "Original : anglais",
            )
        } else {
            (
                "United Nations",
                "General Assembly",
                "Distr.: General",
                "Original: English",
            )
        };
        let mut cover: Vec<(String, f32)> = vec![
            (format!("{un}    {}", self.symbol), 12.0),
            (assembly.into(), 16.0),
            (distr.into(), 10.0),
            (self.date.into(), 10.0),
            (String::new(), 10.0),
            (original.into(), 10.0),
            (String::new(), 10.0),
            (
                if self.french {
                    "Conseil des droits de l’homme"
                } else {
                    "Human Rights Council"
                }
                .into(),
                10.0,
            ),
            (self.session.into(), 10.0),
            (self.agenda.into(), 10.0),
        ];
        cover.extend(
            wrap(self.agenda_title, LINE_CHARS)
                .into_iter()
                .map(|l| (l, 10.0)),
        );
        cover.push((String::new(), 10.0));
        cover.push((self.title.into(), 14.0));
        cover.push((String::new(), 10.0));
        cover.extend(wrap(self.author, LINE_CHARS).into_iter().map(|l| (l, 10.0)));
        cover.push((String::new(), 10.0));
        cover.push((if self.french { "Résumé" } else { "Summary" }.into(), 10.0));
        cover.extend(
            wrap(self.summary, LINE_CHARS)
                .into_iter()
                .map(|l| (l, 10.0)),
        );
        let mut page = Vec::new();
        let mut y = 800.0;
        for (text, size) in cover {
            if !text.is_empty() {
                page.push((text, size, y));
            }
            y -= 22.0;
        }
        page.push((self.job.to_string(), 8.0, 40.0));
        pages.push(page);
        // The contents, then the body, page by page.
        let mut body: Vec<String> = vec![
            if self.french {
                "Table des matières"
            } else {
                "Contents"
            }
            .into(),
            "Page".into(),
        ];
        let headings: Vec<&str> = self.paragraphs.iter().filter_map(|p| p.heading).collect();
        for (i, h) in headings.iter().enumerate() {
            body.push(format!("{h} ........ {}", 3 + i));
        }
        body.push(String::new());
        let mut notes_by_line: Vec<Option<(usize, String)>> = vec![None; body.len()];
        let mut note = 0;
        for (i, p) in self.paragraphs.iter().enumerate() {
            if let Some(h) = p.heading {
                body.push(String::new());
                notes_by_line.push(None);
                body.push(h.to_string());
                notes_by_line.push(None);
            }
            let mut text = format!("{}. {}", i + 1, p.text);
            let mut this_note = None;
            if let Some(f) = &p.footnote {
                note += 1;
                text.push_str(&note.to_string());
                this_note = Some((note, f.clone()));
            }
            let lines = hyphenated_wrap(&text, LINE_CHARS);
            let last = lines.len() - 1;
            for (j, line) in lines.into_iter().enumerate() {
                body.push(line);
                notes_by_line.push(if j == last { this_note.clone() } else { None });
            }
        }
        let total_pages = 1 + body.len().div_ceil(BODY_LINES);
        for (chunk_no, chunk) in body.chunks(BODY_LINES).enumerate() {
            let page_no = chunk_no + 2;
            let start = chunk_no * BODY_LINES;
            let mut page = vec![(self.symbol.to_string(), 9.0, 810.0)];
            let mut y = 780.0;
            for line in chunk {
                if !line.is_empty() {
                    page.push((line.clone(), 10.0, y));
                }
                y -= 14.0;
            }
            let notes: Vec<(usize, String)> = notes_by_line[start..start + chunk.len()]
                .iter()
                .flatten()
                .cloned()
                .collect();
            let mut y = 60.0 + 12.0 * notes.len() as f32;
            for (n, text) in notes {
                page.push((format!("{n} {text}"), 8.0, y));
                y -= 12.0;
            }
            page.push((
                format!("{}    {page_no}/{total_pages}", self.job),
                8.0,
                30.0,
            ));
            pages.push(page);
        }
        pages
    }

    /// The report as an HTML page, with a site's navigation, header and footer around it.
    pub fn html(&self) -> String {
        let mut out = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body {{ font: 12px sans-serif }}</style><script>var menu = 'Home';</script></head>\
             <body><nav><a href=\"/\">Home</a> <a href=\"/reports\">Reports navigation</a></nav>\
             <header>OHCHR website header</header><main><h1>{}</h1><p>{}</p>",
            self.title, self.title, self.summary
        );
        for (i, p) in self.paragraphs.iter().enumerate() {
            if let Some(h) = p.heading {
                out.push_str(&format!("<h2>{h}</h2>"));
            }
            out.push_str(&format!("<p>{}. {}</p>", i + 1, p.text));
        }
        out.push_str("</main><footer>Copyright footer text, privacy notice</footer></body></html>");
        out
    }
}

/// A footnote of its own for paragraph `i`.
fn footnote_text(i: usize) -> String {
    let sources = [
        "See A/HRC/44/45, para. 8, and the Committee's general recommendation No. 38 (2020).",
        "United Nations Office on Drugs and Crime, Model Legislative Provisions against Trafficking in Persons (Vienna, 2020).",
        "Council of Europe Convention on Action against Trafficking in Human Beings, art. 26.",
        "GRETA, 10th General Report, para. 131.",
    ];
    format!("{} (note {})", sources[i % sources.len()], words_for(i))
}

/// A distinct English paragraph: the words name its number so tests can find it.
fn english_paragraph(i: usize) -> String {
    let topics = [
        "victims of trafficking arrested on cannabis farms were prosecuted for cultivation",
        "criminal records of victims should be cleared when the offence was a direct consequence of trafficking",
        "the principle applies to immigration offences, the use of false documents and forced criminality",
        "States should ensure that victims are identified early by trained police and labour inspectors",
    ];
    format!(
        "Paragraph marker{} states that {}; the Special Rapporteur recalls that the obligation arises under international law and regional instruments, and that compelled conduct must not be punished, including in administrative and civil proceedings, so that victims can recover and have access to remedies and reparation.",
        words_for(i),
        topics[i % topics.len()]
    )
}

fn french_paragraph(i: usize) -> String {
    format!(
        "Le paragraphe repère{} indique que les victimes de la traite des êtres humains ne doivent pas être sanctionnées pour des infractions qu’elles ont été contraintes de commettre, et que les États doivent effacer leurs condamnations pénales.",
        words_for(i)
    )
}

/// A word spelling the number, so every paragraph holds a word of its own.
fn words_for(i: usize) -> String {
    const NAMES: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    i.to_string()
        .chars()
        .map(|c| NAMES[c.to_digit(10).unwrap_or(0) as usize])
        .collect::<Vec<_>>()
        .join("")
}

/// Words wrapped into lines of at most `width` characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Like [`wrap`], but a long word at a line end is broken with a hyphen, as justified
/// text is ("traf-" / "ficking").
fn hyphenated_wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let room = width.saturating_sub(line.chars().count() + 1);
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if !fits && !line.is_empty() {
            let letters = word.chars().all(char::is_alphabetic);
            if letters && word.chars().count() >= 9 && room >= 5 {
                let cut: String = word.chars().take(room - 1).collect();
                let rest: String = word.chars().skip(room - 1).collect();
                line.push(' ');
                line.push_str(&cut);
                line.push('-');
                lines.push(std::mem::take(&mut line));
                line.push_str(&rest);
                continue;
            }
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Text as WinAnsiEncoding bytes (the base fonts' encoding).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '’' => 0x92,
            '‘' => 0x91,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 256 => c as u8,
            _ => b'?',
        })
        .collect()
}

/// A PDF of pages of positioned lines in Helvetica.
pub fn write_pdf(pages: &[Vec<(String, f32, f32)>], title: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids: Vec<Object> = Vec::new();
    for page in pages {
        let mut operations = Vec::new();
        for (text, size, y) in page {
            operations.push(Operation::new("BT", vec![]));
            operations.push(Operation::new("Tf", vec!["F1".into(), (*size).into()]));
            operations.push(Operation::new("Td", vec![56.into(), (*y).into()]));
            operations.push(Operation::new(
                "Tj",
                vec![Object::String(win_ansi(text), StringFormat::Literal)],
            ));
            operations.push(Operation::new("ET", vec![]));
        }
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("content encodes"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::string_literal(title),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF is written");
    out
}

/// A PDF whose pages hold no text (what a scanner makes, minus the images).
pub fn scanned_pdf(pages: usize) -> Vec<u8> {
    write_pdf(&vec![Vec::new(); pages], "Scan")
}
