package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/kagi-cli/kagi/internal/debug"
)

// ECS serves credentials in the format of the ECS container credentials
// endpoint, which every AWS SDK reads when AWS_CONTAINER_CREDENTIALS_FULL_URI
// is set: GET with the token of AWS_CONTAINER_AUTHORIZATION_TOKEN as the
// whole Authorization header, answered with
//
//	{"AccessKeyId":…,"SecretAccessKey":…,"Token":…,"Expiration":"2006-01-02T15:04:05Z"}
//
// (the SDK for Go v2's endpointcreds client and botocore's ContainerProvider
// read exactly these four fields; botocore requires all of them).
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
type ECS struct {
	host      string
	tokenHash [sha256.Size]byte
	creds     *Refresher
	log       *debug.Log
}

// NewECS returns the handler for an endpoint bound to host
// ("127.0.0.1:PORT") that requires token. The token is registered with log
// as a secret.
func NewECS(host, token string, creds *Refresher, log *debug.Log) *ECS {
	log.Secret(token)
	return &ECS{host: host, tokenHash: sha256.Sum256([]byte(token)), creds: creds, log: log}
}

// ecsCredentials is the response body.
type ecsCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

// ecsError is the error body the SDK for Go v2 reads (EndpointError).
type ecsError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (h *ECS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, why := refusal(r, h.host); status != 0 {
		refuse(w, r, h.log, status, why)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		refuse(w, r, h.log, http.StatusMethodNotAllowed, "only GET is served")
		return
	}
	// Hashing first makes the comparison's time independent of the length
	// of what the client sent as well as of its content.
	got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	if subtle.ConstantTimeCompare(got[:], h.tokenHash[:]) != 1 {
		refuse(w, r, h.log, http.StatusForbidden, "missing or wrong authorization token")
		return
	}
	if r.URL.Path != "/" {
		refuse(w, r, h.log, http.StatusNotFound, "no such path: credentials are served at /")
		return
	}
	c, err := h.creds.Get(r.Context())
	if err != nil {
		h.log.Printf("server: no credentials to serve: %v", err)
		writeJSON(w, http.StatusInternalServerError, ecsError{Code: "CredentialsUnavailable", Message: errorText(err)})
		return
	}
	h.log.Printf("server: served %s to %s", c, r.RemoteAddr)
	writeJSON(w, http.StatusOK, ecsCredentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		Token:           c.SessionToken,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339),
	})
}
