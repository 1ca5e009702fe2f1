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
	cfg.PublicHosts = []string{"demo.example.com", "www.demo.example.com:8443"}
	public := newTestApp(t, cfg, rdb)
	dev := newTestApp(t, testConfig(t), rdb)

	for _, tc := range []struct {
		name       string
		app        *App
		remote     string
		host       string // "" for app.example
		proto      string // X-Forwarded-Proto; "\n" separates header lines
		path       string
		wantStatus int
		wantHSTS   bool
		wantTo     string
	}{
		{"https through the router", prod, "10.1.2.3:5000", "", "https", "/", 200, true, ""},
		{"http through the router", prod, "10.1.2.3:5000", "", "http", "/sessions?lang=ja", 308, false, "https://app.example/sessions?lang=ja"},
		{"readiness check over http", prod, "10.1.2.3:5000", "", "http", "/healthz", 200, false, ""},
		{"liveness check over http", prod, "10.1.2.3:5000", "", "http", "/livez", 200, false, ""},
		{"IPv6 router", prod, "[fd00::1]:5000", "", "https", "/", 200, true, ""},
		{"client claiming https directly", prod, "203.0.113.9:5000", "", "https", "/", 200, false, ""},
		{"client claiming http directly", prod, "203.0.113.9:5000", "", "http", "/", 200, false, ""},
		{"no header from the router", prod, "10.1.2.3:5000", "", "", "/", 200, false, ""},
		{"development", dev, "10.1.2.3:5000", "", "http", "/", 200, false, ""},

		// Where the redirect goes.
		{"no PUBLIC_URL: the request's host", prod, "10.1.2.3:5000", "other.example:8080", "http", "/tutorial", 308, false, "https://other.example:8080/tutorial"},
		{"host not public: the first public host", public, "10.1.2.3:5000", "evil.example", "http", "/sessions?lang=ja", 308, false, "https://demo.example.com/sessions?lang=ja"},
		{"public host: the same host", public, "10.1.2.3:5000", "WWW.Demo.Example.com:8443", "http", "/tutorial", 308, false, "https://www.demo.example.com:8443/tutorial"},
		{"public host without its port", public, "10.1.2.3:5000", "www.demo.example.com", "http", "/", 308, false, "https://demo.example.com/"},
		{"unknown route over http", public, "10.1.2.3:5000", "demo.example.com", "http", "/nope", 308, false, "https://demo.example.com/nope"},
		{"static file over http", public, "10.1.2.3:5000", "demo.example.com", "http", "/static/style.css", 308, false, "https://demo.example.com/static/style.css"},
		{"public host, https", public, "10.1.2.3:5000", "demo.example.com", "https", "/", 200, true, ""},
		{"liveness check with PUBLIC_URL", public, "10.1.2.3:5000", "10.0.0.7:8080", "http", "/livez", 200, false, ""},
		{"readiness check with PUBLIC_URL", public, "10.1.2.3:5000", "10.0.0.7:8080", "http", "/healthz", 200, false, ""},

		// Several values: the right-most is the trusted router's.
		{"client sent http, router appended https", prod, "10.1.2.3:5000", "", "http, https", "/", 200, true, ""},
		{"client sent https, router appended http", prod, "10.1.2.3:5000", "", "https, http", "/", 308, false, "https://app.example/"},
		{"no spaces", prod, "10.1.2.3:5000", "", "https,http", "/", 308, false, "https://app.example/"},
		{"two header lines, http last", prod, "10.1.2.3:5000", "", "https\nhttp", "/", 308, false, "https://app.example/"},
		{"two header lines, https last", prod, "10.1.2.3:5000", "", "http\nHTTPS", "/", 200, true, ""},
		{"empty last value", prod, "10.1.2.3:5000", "", "http,", "/", 200, false, ""},
		{"several values from a client directly", prod, "203.0.113.9:5000", "", "http, https", "/", 200, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Host = "app.example"
			if tc.host != "" {
				req.Host = tc.host
			}
			req.RemoteAddr = tc.remote
			for _, line := range strings.Split(tc.proto, "\n") {
				if line != "" {
					req.Header.Add("X-Forwarded-Proto", line)
				}
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
				if c := rec.Header().Get("Set-Cookie"); (tc.app != dev) != strings.Contains(c, "; Secure") {
					t.Errorf("Set-Cookie %q: Secure must follow APP_ENV=production", c)
				}
			}
			if tc.wantStatus == http.StatusPermanentRedirect {
				// The redirect is a response like any other: the same
				// security headers, never cached, and nothing set.
				for name, want := range map[string]string{
					"Cache-Control":           "no-store",
					"Content-Security-Policy": contentSecurityPolicy,
					"X-Content-Type-Options":  "nosniff",
					"Referrer-Policy":         "same-origin",
					"X-Frame-Options":         "DENY",
				} {
					if got := rec.Header().Get(name); got != want {
						t.Errorf("redirect has %s %q, want %q", name, got, want)
					}
				}
				if c := rec.Header().Values("Set-Cookie"); len(c) != 0 {
					t.Errorf("redirect sets cookies %q", c)
				}
			}
		})
	}
}

// TestClientAddressTrustsOnlyProxies: echo v4's advisories GO-2026-6872 and
// GO-2026-6875 are about believing X-Forwarded-For and X-Real-IP from anyone.
// The app sets an IPExtractor that believes X-Forwarded-For only from
// TRUSTED_PROXIES and never reads X-Real-IP (see README, Security).
func TestClientAddressTrustsOnlyProxies(t *testing.T) {
	app := newTestApp(t, testConfig(t), testRedis(t))
	for _, tc := range []struct {
		name, remote, xff, xRealIP, want string
	}{
		{"direct client claiming another address", "203.0.113.9:5000", "198.51.100.1", "198.51.100.2", "203.0.113.9"},
		{"router passing the client on", "10.1.2.3:5000", "198.51.100.1", "", "198.51.100.1"},
		{"client prepending a fake hop through the router", "10.1.2.3:5000", "192.0.2.66, 198.51.100.1", "", "198.51.100.1"},
		{"X-Real-IP through the router", "10.1.2.3:5000", "", "198.51.100.2", "10.1.2.3"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = tc.remote
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.xRealIP != "" {
			req.Header.Set("X-Real-IP", tc.xRealIP)
		}
		if got := app.echo.NewContext(req, httptest.NewRecorder()).RealIP(); got != tc.want {
			t.Errorf("%s: client address %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestLanguageCookie: ?lang is remembered in a cookie of its own, set in one
// place with the session cookie's care (Secure in production), and never by
// an error response.
func TestLanguageCookie(t *testing.T) {
	rdb := testRedis(t)
	prodCfg := testConfig(t)
	prodCfg.Production = true
	for _, tc := range []struct {
		name       string
		app        *App
		path       string
		wantStatus int
		wantCookie string // "" for none
	}{
		{"development", newTestApp(t, testConfig(t), rdb), "/tutorial?lang=ja", 200, "lang=ja; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"},
		{"production", newTestApp(t, prodCfg, rdb), "/tutorial?lang=ja", 200, "lang=ja; Path=/; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax"},
		{"error page", newTestApp(t, testConfig(t), rdb), "/nope?lang=ja", 404, ""},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.RemoteAddr = "10.1.2.3:5000"
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		tc.app.ServeHTTP(rec, req)
		var got string
		for _, c := range rec.Header().Values("Set-Cookie") {
			if strings.HasPrefix(c, "lang=") {
				got = c
			}
		}
		if rec.Code != tc.wantStatus || got != tc.wantCookie {
			t.Errorf("%s: %d with lang cookie %q, want %d with %q", tc.name, rec.Code, got, tc.wantStatus, tc.wantCookie)
		}
		if tc.wantStatus == 404 && !strings.Contains(rec.Body.String(), `lang="ja"`) {
			t.Errorf("%s: the error page is not in the language asked for", tc.name)
		}
	}
}
