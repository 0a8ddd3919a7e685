package awsemu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxSkew is how far the X-Amz-Date of a request may be from the server's
// clock (https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html).
const maxSkew = 5 * time.Minute

const amzDateFormat = "20060102T150405Z"

// Messages as STS words them.
const (
	msgInvalidToken     = "The security token included in the request is invalid."
	msgExpiredToken     = "The security token included in the request is expired"
	msgSignatureInvalid = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func invalidClientTokenID() *apiError {
	return &apiError{status: http.StatusForbidden, code: "InvalidClientTokenId", message: msgInvalidToken}
}

func signatureDoesNotMatch(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: "SignatureDoesNotMatch", message: msg}
}

func incompleteSignature(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "IncompleteSignature", message: msg}
}

// authorization is a parsed "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." header.
type authorization struct {
	keyID, date, region, service string
	signedHeaders                []string
	signature                    string
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, errors.New("only AWS4-HMAC-SHA256 is supported")
	}
	var credential, signed string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			a.signature = v
		}
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || signed == "" || a.signature == "" {
		return a, errors.New("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters")
	}
	a.keyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(signed, ";")
	return a, nil
}

// authenticate checks the request's SigV4 signature and returns the
// credential it was signed with. The signature is recomputed with the AWS
// SDK for Go v2's own signer over a copy of the request that holds exactly
// the headers the client signed, so a client that signs fewer headers
// (botocore: content-type;host;x-amz-date) verifies as well as one that signs
// more (the Go SDK adds amz-sdk-* and content-length).
func (s *Server) authenticate(ctx context.Context, c *call) (*credential, *apiError) {
	r := c.r
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, &apiError{status: http.StatusForbidden, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token"}
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return nil, incompleteSignature(err.Error())
	}
	c.log.AccessKeyID = a.keyID
	if a.service != c.service {
		return nil, signatureDoesNotMatch(fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", c.service))
	}

	s.mu.Lock()
	cred := s.keys[a.keyID]
	s.mu.Unlock()
	if cred == nil {
		return nil, invalidClientTokenID()
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if !hmac.Equal([]byte(token), []byte(cred.token)) {
		return nil, invalidClientTokenID()
	}

	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return nil, incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if a.date != amzDate[:8] {
		return nil, signatureDoesNotMatch(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.date, amzDate[:8], amzDate))
	}
	now := c.now.UTC()
	if signedAt.Before(now.Add(-maxSkew)) {
		return nil, signatureDoesNotMatch(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			amzDate, now.Add(-maxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}
	if signedAt.After(now.Add(maxSkew)) {
		return nil, signatureDoesNotMatch(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			amzDate, now.Add(maxSkew).Format(amzDateFormat), now.Format(amzDateFormat)))
	}

	want, err := resign(ctx, r, c.body, a, cred, signedAt)
	if err != nil || !hmac.Equal([]byte(want), []byte(a.signature)) {
		return nil, signatureDoesNotMatch(msgSignatureInvalid)
	}
	if cred.temporary() && !now.Before(cred.expires) {
		return nil, &apiError{status: http.StatusBadRequest, code: "ExpiredToken", message: msgExpiredToken}
	}
	return cred, nil
}

// resign signs a copy of r that carries only the headers listed in a, with
// the secret of cred, and returns the signature. A list that is not
// lower-case and sorted, or names a header the request lacks, yields a
// different SignedHeaders and so an error.
func resign(ctx context.Context, r *http.Request, body []byte, a authorization, cred *credential, signedAt time.Time) (string, error) {
	u := &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	if u.Path == "" {
		u.Path = "/"
	}
	cp := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			cp.ContentLength = int64(len(body))
		default:
			if v, ok := r.Header[http.CanonicalHeaderKey(name)]; ok {
				cp.Header[http.CanonicalHeaderKey(name)] = v
			}
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: a.keyID, SecretAccessKey: cred.secret, SessionToken: cred.token}
	// The session token header, when signed, was copied above; the signer
	// must not add it when the client did not sign it.
	err := v4.NewSigner().SignHTTP(ctx, creds, cp, hex.EncodeToString(sum[:]), a.service, a.region, signedAt,
		func(o *v4.SignerOptions) { o.DisableSessionToken = true })
	if err != nil {
		return "", err
	}
	got, err := parseAuthorization(cp.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if strings.Join(got.signedHeaders, ";") != strings.Join(a.signedHeaders, ";") {
		return "", errors.New("signed headers differ")
	}
	return got.signature, nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
