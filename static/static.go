// Package static holds the pages, their scripts, styles and translation
// tables, embedded in the binary: no build step, nothing to install.
package static

import "embed"

// FS is the pages' files, by their path under static/.
//
//go:embed *.html css js i18n
var FS embed.FS
