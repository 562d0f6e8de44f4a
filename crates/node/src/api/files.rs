//! Pure helpers for uploads and downloads: file-name sanitising, MIME-type checks, the
//! allow-list of types served as themselves, and the `Content-Disposition` header.

/// Longest stored file name, in characters.
pub const MAX_FILENAME_CHARS: usize = 200;
/// Longest accepted MIME type, in bytes.
const MAX_MIME_LEN: usize = 127;

/// The file name to store: the last path component (`/` and `\` both separate), without
/// control characters, trimmed of spaces and leading dots, at most [`MAX_FILENAME_CHARS`]
/// characters (the extension is kept when cutting); `"file"` if nothing is left.
pub fn sanitize_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    let count = cleaned.chars().count();
    if count <= MAX_FILENAME_CHARS {
        return cleaned.to_owned();
    }
    let ext: String = match cleaned.rsplit_once('.') {
        Some((_, ext)) if ext.chars().count() <= 16 => format!(".{ext}"),
        _ => String::new(),
    };
    let keep = MAX_FILENAME_CHARS - ext.chars().count();
    let stem: String = cleaned.chars().take(keep).collect();
    format!("{stem}{ext}")
}

/// A syntactically valid `type/subtype` (parameters dropped), lower-cased; `None` otherwise.
pub fn clean_mime(raw: &str) -> Option<String> {
    let essence = raw.split(';').next()?.trim().to_ascii_lowercase();
    let (ty, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    (essence.len() <= MAX_MIME_LEN && token(ty) && token(sub)).then_some(essence)
}

/// A type for a file name's extension, for uploads whose part has no usable type.
pub fn guess_mime(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "webp" => "image/webp",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "xls" => "application/vnd.ms-excel",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// The `Content-Type` a stored type is served with: the type itself when it is on the
/// allow-list of inert document and image formats, `application/octet-stream` otherwise
/// (so HTML, SVG, XML, JavaScript and anything unknown are never rendered by a browser).
pub fn served_type(mime: &str) -> &str {
    const INERT: &[&str] = &[
        "application/pdf",
        "application/json",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/bmp",
        "image/tiff",
        "image/webp",
        "text/plain",
        "text/csv",
    ];
    if INERT.contains(&mime) {
        mime
    } else {
        "application/octet-stream"
    }
}

/// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266
/// and RFC 8187).
pub fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_controls_and_length() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_filename("C:\\Users\\x\\накладная.pdf"),
            "накладная.pdf"
        );
        assert_eq!(sanitize_filename("a\u{0}b\r\nc.txt"), "abc.txt");
        assert_eq!(sanitize_filename("evil\u{202e}fdp.exe"), "evilfdp.exe");
        assert_eq!(sanitize_filename(".."), "file");
        assert_eq!(sanitize_filename(".hidden"), "hidden");
        assert_eq!(sanitize_filename(""), "file");
        let long = format!("{}.pdf", "я".repeat(500));
        let cut = sanitize_filename(&long);
        assert_eq!(cut.chars().count(), MAX_FILENAME_CHARS);
        assert!(cut.ends_with(".pdf"));
    }

    #[test]
    fn mime_types() {
        assert_eq!(
            clean_mime("Text/HTML; charset=utf-8").as_deref(),
            Some("text/html")
        );
        assert_eq!(clean_mime("nonsense"), None);
        assert_eq!(clean_mime("a/b c"), None);
        assert_eq!(served_type("text/html"), "application/octet-stream");
        assert_eq!(served_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(served_type("application/pdf"), "application/pdf");
        assert_eq!(guess_mime("x.JPG"), "image/jpeg");
    }

    #[test]
    fn disposition_is_quoted_and_encoded() {
        assert_eq!(
            content_disposition("счёт \"1\".pdf"),
            "attachment; filename=\"____ _1_.pdf\"; \
             filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82%20%221%22.pdf"
        );
    }
}
