package htmlexec

import (
	"bytes"
	"fmt"
	"html/template"
	"reflect"
	"strconv"
	"strings"
	"text/template/parse"
)

// contentKind is what html/template's typed strings say a value already is.
type contentKind int

const (
	plain contentKind = iota
	htmlContent
	urlContent
)

// escaper is one of html/template's escaping functions, by the name its
// rewritten trees call it.
type escaper struct {
	// write escapes s onto w; apply returns it escaped, for an escaper
	// that is not the last of its action.
	write func(w *bytes.Buffer, s string, kind contentKind) error
}

func (e *escaper) apply(s string, kind contentKind) string {
	var b bytes.Buffer
	if err := e.write(&b, s, kind); err != nil {
		return ""
	}
	return b.String()
}

var escapers = map[string]*escaper{
	// HTML text: a template.HTML value is written as it is.
	"_html_template_htmlescaper": {write: func(w *bytes.Buffer, s string, kind contentKind) error {
		if kind == htmlContent {
			w.WriteString(s)
			return nil
		}
		replace(w, s, true)
		return nil
	}},
	// A quoted attribute value.
	"_html_template_attrescaper": {write: func(w *bytes.Buffer, s string, kind contentKind) error {
		if kind == htmlContent {
			// html/template strips the tags of HTML put in an
			// attribute: rare enough to ask html/template itself.
			return htmlInAttribute(w, s)
		}
		replace(w, s, true)
		return nil
	}},
	// The text of <title> and <textarea>.
	"_html_template_rcdataescaper": {write: func(w *bytes.Buffer, s string, kind contentKind) error {
		replace(w, s, kind != htmlContent)
		return nil
	}},
	// A URL, or its start: only http, https, mailto or no scheme.
	"_html_template_urlfilter": {write: func(w *bytes.Buffer, s string, kind contentKind) error {
		if kind != urlContent && !safeURL(s) {
			s = "#ZgotmplZ"
		}
		w.WriteString(s)
		return nil
	}},
	// A URL: percent-encodes what a URL cannot hold, keeping its syntax.
	"_html_template_urlnormalizer": {write: func(w *bytes.Buffer, s string, _ contentKind) error {
		percentEncode(w, s, true)
		return nil
	}},
	// A part of a URL: percent-encodes its syntax too, unless the value
	// is a template.URL.
	"_html_template_urlescaper": {write: func(w *bytes.Buffer, s string, kind contentKind) error {
		percentEncode(w, s, kind == urlContent)
		return nil
	}},
}

// escaperOf is the escaper a command calls, if it calls only that.
func escaperOf(cmd *parse.CommandNode) *escaper {
	if len(cmd.Args) != 1 {
		return nil
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		return nil
	}
	return escapers[id.Ident]
}

// replace writes s with html/template's HTML escapes: & < > " ' + and NUL
// (which becomes U+FFFD). With amp false, & stays, as in HTML that is
// already escaped. Every byte it replaces is ASCII, which UTF-8 never uses
// inside a longer character, so a byte loop is exact.
func replace(w *bytes.Buffer, s string, amp bool) {
	written := 0
	for i := 0; i < len(s); i++ {
		if !htmlSpecial[s[i]] {
			continue // most bytes: one table lookup
		}
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			if !amp {
				continue
			}
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		w.WriteString(s[written:i])
		w.WriteString(repl)
		written = i + 1
	}
	w.WriteString(s[written:])
}

// htmlSpecial marks the bytes replace replaces.
var htmlSpecial = [256]bool{0: true, '"': true, '&': true, '\'': true, '+': true, '<': true, '>': true}

// safeURL is html/template's test of a URL: no scheme, or http, https or
// mailto.
func safeURL(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(scheme, "/") {
		return true
	}
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
}

// percentEncode writes s with every byte a URL cannot hold as %xx; with
// norm, the URL's own syntax and existing escapes are kept.
func percentEncode(w *bytes.Buffer, s string, norm bool) {
	const hex = "0123456789abcdef"
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			if norm {
				continue
			}
		case '-', '.', '_', '~':
			continue
		case '%':
			// A valid escape stays as it is when normalizing.
			if norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
		}
		w.WriteString(s[written:i])
		w.Write([]byte{'%', hex[c>>4], hex[c&15]})
		written = i + 1
	}
	w.WriteString(s[written:])
}

var (
	htmlType = reflect.TypeFor[template.HTML]()
	urlType  = reflect.TypeFor[template.URL]()
)

// stringify is the text of a value as html/template's escapers see it,
// and what kind of content it says it is: strings and numbers without
// allocating, anything else through fmt, as html/template does.
func stringify(v reflect.Value) (string, contentKind) {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "", plain
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return "", plain
	}
	// html/template looks through pointers for a string or a typed string.
	d := v
	for d.Kind() == reflect.Pointer && !d.IsNil() {
		d = d.Elem()
	}
	switch t := d.Type(); {
	case t == stringType:
		return d.String(), plain
	case t == htmlType:
		return d.String(), htmlContent
	case t == urlType:
		return d.String(), urlContent
	case t == intType:
		return strconv.Itoa(int(d.Int())), plain
	case t == int64Type:
		return strconv.FormatInt(d.Int(), 10), plain
	case t == boolType:
		return strconv.FormatBool(d.Bool()), plain
	case d.Kind() == reflect.String && t.PkgPath() == "html/template":
		return d.String(), plain // CSS, JS and the rest: text, for these escapers
	}
	return fmt.Sprint(indirectToStringerOrError(v.Interface())), plain
}

var (
	stringType   = reflect.TypeFor[string]()
	intType      = reflect.TypeFor[int]()
	int64Type    = reflect.TypeFor[int64]()
	boolType     = reflect.TypeFor[bool]()
	stringerType = reflect.TypeFor[fmt.Stringer]()
)

// indirectToStringerOrError follows pointers until a value that prints
// itself, as html/template does before fmt.Sprint.
func indirectToStringerOrError(a any) any {
	if a == nil {
		return nil
	}
	v := reflect.ValueOf(a)
	for !v.Type().Implements(stringerType) && !v.Type().Implements(errorType) && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// attrTemplate is html/template escaping one value in a quoted attribute.
var attrTemplate = template.Must(template.New("attr").Parse(`<a title="{{.}}">`))

// htmlInAttribute writes template.HTML s as html/template writes it in a
// quoted attribute: its text, tags stripped, escaped.
func htmlInAttribute(w *bytes.Buffer, s string) error {
	var b bytes.Buffer
	if err := attrTemplate.Execute(&b, template.HTML(s)); err != nil {
		return err
	}
	const open, end = `<a title="`, `">`
	w.Write(b.Bytes()[len(open) : b.Len()-len(end)])
	return nil
}
