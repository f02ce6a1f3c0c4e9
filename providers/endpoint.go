package providers

import (
	"errors"
	"net/url"
)

// errEndpoint is the one error for an endpoint that is not an absolute URL.
// It never repeats the value: a credential pasted into the URL (TD's
// partner_key travels in the query string) would otherwise reach logs.
var errEndpoint = errors.New("endpoint is not an absolute URL (want https://host/path)")

// CheckEndpoint parses a job's endpoint: an absolute URL, with a scheme
// and a host. The job loader and every vendor's New check it this one way.
func CheckEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, errEndpoint
	}
	return u, nil
}

// ReadConfig is how every vendor's New opens: the job's options decoded
// into the vendor's options struct O (DecodeOptions: unknown keys
// rejected), then the endpoint checked (CheckEndpoint).
func ReadConfig[O any](cfg Config) (*O, *url.URL, error) {
	o := new(O)
	if err := DecodeOptions(cfg.Options, o); err != nil {
		return nil, nil, err
	}
	u, err := CheckEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, nil, err
	}
	return o, u, nil
}
