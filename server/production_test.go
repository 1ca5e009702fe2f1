package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestProductionTransport checks HSTS and the HTTPS redirect, and that only
// a trusted proxy (the platform's router) can say how a client connected.
func TestProductionTransport(t *testing.T) {
	rdb := testRedis(t)
	cfg := testConfig(t)
	cfg.Production = true
	prod := newTestApp(t, cfg, rdb)
	dev := newTestApp(t, testConfig(t), rdb)

	for _, tc := range []struct {
		name       string
		app        *App
		remote     string
		proto      string
		path       string
		wantStatus int
		wantHSTS   bool
		wantTo     string
	}{
		{"https through the router", prod, "10.1.2.3:5000", "https", "/", 200, true, ""},
		{"http through the router", prod, "10.1.2.3:5000", "http", "/sessions?lang=ja", 308, false, "https://app.example/sessions?lang=ja"},
		{"health check over http", prod, "10.1.2.3:5000", "http", "/healthz", 200, false, ""},
		{"IPv6 router", prod, "[fd00::1]:5000", "https", "/", 200, true, ""},
		{"client claiming https directly", prod, "203.0.113.9:5000", "https", "/", 200, false, ""},
		{"client claiming http directly", prod, "203.0.113.9:5000", "http", "/", 200, false, ""},
		{"no header from the router", prod, "10.1.2.3:5000", "", "/", 200, false, ""},
		{"development", dev, "10.1.2.3:5000", "http", "/", 200, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Host = "app.example"
			req.RemoteAddr = tc.remote
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			rec := httptest.NewRecorder()
			tc.app.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus || rec.Header().Get("Location") != tc.wantTo {
				t.Errorf("status %d Location %q, want %d %q", rec.Code, rec.Header().Get("Location"), tc.wantStatus, tc.wantTo)
			}
			if hsts := rec.Header().Get("Strict-Transport-Security"); (hsts != "") != tc.wantHSTS {
				t.Errorf("HSTS %q, want present=%v", hsts, tc.wantHSTS)
			}
			if tc.wantStatus == 200 && tc.path == "/" {
				if c := rec.Header().Get("Set-Cookie"); (tc.app == prod) != strings.Contains(c, "; Secure") {
					t.Errorf("Set-Cookie %q: Secure must follow APP_ENV=production", c)
				}
			}
		})
	}
}
