// Package redact hides secrets in what the processes log.
package redact

import (
	"net/url"
	"strings"
)

// URLs returns a comma-separated list of URLs (one URL is a list of one)
// with every password replaced by "xxxxx"; a URL that does not parse shows
// as "(unparsable url)", since it may hold a secret in any place.
func URLs(list string) string {
	var out []string
	for u := range strings.SplitSeq(list, ",") {
		if p, err := url.Parse(strings.TrimSpace(u)); err == nil {
			u = p.Redacted()
		} else {
			u = "(unparsable url)"
		}
		out = append(out, u)
	}
	return strings.Join(out, ",")
}
