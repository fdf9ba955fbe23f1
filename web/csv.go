package web

import (
	"encoding/csv"
	"io"

	"github.com/townhall/townhall/hub"
)

// writeCSV writes one row per poll option, word, Q&A entry and speaker, as
// each kind lists them (session.Body.CSV), from the state the JSON export
// was taken from, after a UTF-8 byte-order mark.
func writeCSV(w io.Writer, x hub.Export) error {
	// A byte-order mark first: without it Excel reads UTF-8 as the
	// system's code page, and "Sécurité" comes out as "SÃ©curitÃ©".
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(x.CSVHeader)
	for _, row := range x.CSV {
		cw.Write(safe(row))
	}
	cw.Flush()
	return cw.Error()
}

// safe keeps spreadsheets from running a cell as a formula: text that
// starts like one gets a leading apostrophe.
func safe(row []string) []string {
	for i, c := range row {
		if c != "" && (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t' || c[0] == '\r') {
			row[i] = "'" + c
		}
	}
	return row
}
