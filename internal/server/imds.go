package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/debug"
)

// IMDS paths and headers, as the EC2 instance metadata service has them.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
const (
	imdsTokenPath    = "/latest/api/token"
	imdsCredsPath    = "/latest/meta-data/iam/security-credentials/"
	imdsRegionPath   = "/latest/meta-data/placement/region"
	imdsTTLHeader    = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
	imdsTokenHeader  = "X-Aws-Ec2-Metadata-Token"
	imdsMaxTTL       = 21600 // six hours, as EC2 allows
	imdsTimeLayout   = "2006-01-02T15:04:05Z"
	imdsTokenMACSize = sha256.Size
)

// IMDS serves credentials as the EC2 instance metadata service does, for
// tools that know no other way: IMDSv2 only. A session token comes from
// PUT /latest/api/token and must accompany every GET; requests without one
// (IMDSv1) are refused with 401, as on an instance that requires IMDSv2.
// IMDSv1 is not offered at all: a plain GET is exactly what a server-side
// request forgery can make a local web application send.
//
// Session tokens are not stored: each is its expiry and an HMAC of it under
// a key that lives as long as the handler.
type IMDS struct {
	host   string
	role   string
	region string
	key    []byte
	creds  *Refresher
	log    *debug.Log
	now    func() time.Time
}

// IMDSOptions are what an IMDS handler serves besides credentials.
type IMDSOptions struct {
	// Role is the name listed under iam/security-credentials/.
	Role string
	// Region, when set, is served at placement/region.
	Region string
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
	Log *debug.Log
}

// NewIMDS returns the handler for an endpoint bound to host.
func NewIMDS(host string, creds *Refresher, opts IMDSOptions) *IMDS {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (Go 1.24+)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	role := opts.Role
	if role == "" {
		role = "kagi"
	}
	return &IMDS{host: host, role: role, region: opts.Region, key: key, creds: creds, log: opts.Log, now: now}
}

// imdsCredentials is the body of iam/security-credentials/ROLE.
type imdsCredentials struct {
	Code            string
	LastUpdated     string
	Type            string
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Expiration      string
	Message         string `json:",omitempty"`
}

func (h *IMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, why := refusal(r, h.host); status != 0 {
		refuse(w, r, h.log, status, why)
		return
	}
	path := imdsPath(r.URL.Path)
	if path == imdsTokenPath {
		h.token(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		refuse(w, r, h.log, http.StatusMethodNotAllowed, "only GET is served here")
		return
	}
	if !h.validToken(r.Header.Get(imdsTokenHeader)) {
		refuse(w, r, h.log, http.StatusUnauthorized, "missing, wrong or expired IMDSv2 token (IMDSv1 is not served)")
		return
	}
	switch p := path; {
	case p == imdsCredsPath || p+"/" == imdsCredsPath:
		writeText(w, h.role)
	case p == imdsCredsPath+h.role:
		h.credentials(w, r)
	case p == imdsRegionPath && h.region != "":
		writeText(w, h.region)
	default:
		refuse(w, r, h.log, http.StatusNotFound, "not found")
	}
}

// imdsPath is the request's path with a run of leading slashes made one:
// the JavaScript SDK v2 joins an endpoint that ends in "/" with
// "/latest/api/token" as "//latest/api/token" (seen with the npm package
// aws-sdk), and an endpoint printed before issue 11 ended in "/".
func imdsPath(p string) string {
	if strings.HasPrefix(p, "//") {
		return "/" + strings.TrimLeft(p, "/")
	}
	return p
}

// token answers PUT /latest/api/token.
func (h *IMDS) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		refuse(w, r, h.log, http.StatusMethodNotAllowed, "a token is had with PUT")
		return
	}
	// EC2 refuses token requests that went through a proxy, so that an
	// open proxy on the host cannot fetch one for a remote caller.
	if r.Header.Get("X-Forwarded-For") != "" {
		refuse(w, r, h.log, http.StatusForbidden, "token requests through a proxy are refused")
		return
	}
	ttlText := r.Header.Get(imdsTTLHeader)
	ttl, err := strconv.Atoi(ttlText)
	if err != nil || ttl < 1 || ttl > imdsMaxTTL {
		refuse(w, r, h.log, http.StatusBadRequest, imdsTTLHeader+" must be between 1 and 21600")
		return
	}
	w.Header().Set(imdsTTLHeader, ttlText)
	writeText(w, h.mint(h.now().Add(time.Duration(ttl)*time.Second)))
}

// mint makes a token valid until exp.
func (h *IMDS) mint(exp time.Time) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(exp.Unix()))
	return base64.RawURLEncoding.EncodeToString(h.mac(b))
}

// mac returns msg followed by its HMAC.
func (h *IMDS) mac(msg []byte) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write(msg)
	return m.Sum(msg)
}

func (h *IMDS) validToken(tok string) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 8+imdsTokenMACSize {
		return false
	}
	if !hmac.Equal(h.mac(b[:8:8]), b) {
		return false
	}
	return h.now().Unix() < int64(binary.BigEndian.Uint64(b[:8]))
}

func (h *IMDS) credentials(w http.ResponseWriter, r *http.Request) {
	c, err := h.creds.Get(r.Context())
	if err != nil {
		h.log.Printf("server: no credentials to serve: %v", err)
		// EC2 answers 200 with a Code other than Success when it has no
		// credentials for the role; SDKs then report the Message.
		writeJSON(w, http.StatusOK, imdsCredentials{
			Code:        "CredentialsUnavailable",
			LastUpdated: h.now().UTC().Format(imdsTimeLayout),
			Message:     errorText(err),
		})
		return
	}
	h.log.Printf("server: served %s to %s", c, r.RemoteAddr)
	writeJSON(w, http.StatusOK, imdsCredentials{
		Code:            "Success",
		LastUpdated:     h.now().UTC().Format(imdsTimeLayout),
		Type:            "AWS-HMAC",
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		Expiration:      c.Expiration.UTC().Format(imdsTimeLayout),
	})
}

func writeText(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(strings.TrimSpace(s)))
}
