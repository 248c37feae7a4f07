package adapter

// LogFormat is the markup of the call and message log bodies an adapter
// writes into its CRM, as a media type. The logbody package composes and
// updates bodies in each of them.
type LogFormat string

// The log formats. The names are those of the reference server's
// getLogFormatType.
const (
	// LogFormatText is plain text: sections are separated by marker lines.
	LogFormatText LogFormat = "text/plain"
	// LogFormatHTML is HTML, for CRMs whose note fields render HTML.
	LogFormatHTML LogFormat = "text/html"
	// LogFormatMarkdown is CommonMark, for CRMs that render Markdown.
	LogFormatMarkdown LogFormat = "text/markdown"
)

// LogFormatter is implemented by adapters that tell which markup their log
// bodies use. The server reports it in GET /implementedInterfaces
// ("getLogFormatType": true and "logFormat": the media type). Without it,
// the server reports "getLogFormatType": false and "logFormat":
// "text/plain", the reference server's default; nothing else depends on it.
type LogFormatter interface {
	// LogFormat returns LogFormatText, LogFormatHTML or LogFormatMarkdown.
	// It is asked once, when the server starts.
	LogFormat() LogFormat
}
