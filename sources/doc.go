// Package sources streams applicant rows out of CSV and XLSX input files.
//
// Every reader keeps memory bounded by the size of one row, not of the file:
// riskbatch inputs can hold millions of rows and a run must not fail on a
// large file. [Open] picks the format, then callers loop on Next until
// io.EOF.
//
// # Rows, errors and accounting
//
// A problem that affects a single row (a ragged field count, invalid
// characters, an oversized cell, a stray quote in CSV) never aborts the file:
// the row is returned with Row.Err set so the pipeline can account for it in
// the result sheet instead of silently losing it (every row costs or saves a
// paid vendor call, so counts must add up). Row.Err messages name the file,
// the line/row and, when known, the column header; they are *CellError
// values (wrapped in a multi-error when one row has several problems), so
// callers can use errors.As. An error returned by Next itself (other than
// io.EOF) is fatal for the file: I/O failure, corrupt workbook XML, or a CSV
// record so large that it can only be an unterminated quote.
//
// Values in a row are always exactly len(Header()) long: short rows are
// padded with "" and long rows truncated, and both set Row.Err ("row has N
// fields, header has M"). In XLSX, trailing empty cells are not fields
// (spreadsheets omit them), so only a non-empty cell beyond the header counts
// as ragged. Values carrying invalid UTF-8 are repaired with U+FFFD so that
// downstream writers always receive valid strings; the row still gets an Err.
//
// # Blank rows
//
// Entirely blank rows (every cell empty or white space) are not data rows:
// they are skipped, before the header (leading blank rows) and between data
// rows alike, in both formats. They do not consume a Row.Num, but Row.Line
// always reports the physical position, so Line of the row after a blank
// row jumps by two. Row.Num therefore counts data rows only.
//
// # CSV
//
// The encoding is detected from the first 64 KiB: a UTF-8 BOM is stripped
// (encoding/csv would otherwise keep it in the first header name), a UTF-16
// BOM selects UTF-16. Otherwise the whole window is weighed: a window that
// is valid UTF-8, or whose valid multi-byte UTF-8 characters outnumber its
// invalid bytes 20 to 1, or that GB18030 reads no better, is UTF-8; anything
// else is decoded as GB18030 (a superset of GBK, the usual encoding of files
// saved by Excel on Chinese Windows). So a UTF-8 file with a few damaged
// bytes stays UTF-8 and only the rows holding them get an Err (naming the
// byte), instead of every name turning into mojibake. A file whose first 64
// KiB are plain ASCII but which holds GBK text later is read as UTF-8 and
// the affected rows get an Err; Options.Encoding overrides the detection.
// Reader.Encoding names the encoding used ("utf-8", "utf-8-bom", "gb18030",
// "utf-16"; "xlsx" for workbooks). A row that does not decode always has an
// Err: it is never sent. The delimiter is detected among
// ',' ';' '\t' '|' by parsing the first records with each candidate and
// keeping the one that gives a consistent field count greater than one.
// Row.Line is the line where the record starts (a quoted field may span
// several lines).
//
// # XLSX
//
// Workbooks are read by a streaming reader of the worksheet XML
// (archive/zip, encoding/xml), using raw cell values: an 18-digit ID stored
// as text comes back intact, and a number comes back exactly as stored (for
// example "3.30328199001017E+17"); it is deliberately not repaired here, and
// Row.Numeric tells the pipeline which cells were numbers so it can name the
// damage. A worksheet XML error, or a sheet that declares more rows than it
// holds, is a fatal error rather than a short file. Row.Line is the row
// number as Excel shows it.
//
// # Limits
//
// Open refuses, with a *LimitError (errors.Is ErrLimit) naming the file and
// the limit: a CSV header larger than MaxHeaderBytes, more than MaxColumns
// columns, an XLSX shared strings table of more than MaxSharedStrings
// strings or MaxSharedStringBytes of text. One CSV record, or the XML of one
// XLSX row, may not exceed 8 MiB (fatal for the file: it can only be a
// runaway quote or a broken file). A cell larger than MaxCellBytes makes its
// row unreadable and reading goes on. Memory stays bounded by these limits,
// not by the file.
package sources
