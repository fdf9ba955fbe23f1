package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"
)

// qr draws the join link, key included, as a QR code.
func (s *Server) qr(c echo.Context) error {
	base, err := s.baseURL(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	h, release, err := s.cfg.Hubs.Acquire(ctx, c.Param("id"))
	if err != nil {
		return storeError(err)
	}
	_, code := h.Title()
	release()
	svg, err := qrSVG(joinLink(base, code, s.tokens.joinKey(c.Param("id"))))
	if err != nil {
		return err
	}
	// Private: the link depends on the request's host, and a shared cache
	// keyed on the path alone would hand one host's code to another.
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// qrSVG draws the QR code of text as one SVG path, dark on white with the
// quiet zone the standard asks for.
func qrSVG(text string) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits)
	const quiet = 4
	var p strings.Builder
	for y, row := range bits {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&p, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run - 1
		}
	}
	size := n + 2*quiet
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, size, size, size, size, p.String())), nil
}
