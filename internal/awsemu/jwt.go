package awsemu

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TokenClaims are the claims World.MintToken puts into a web identity token.
type TokenClaims struct {
	Subject  string
	Audience string         // default: the provider's audience
	IssuedAt time.Time      // default: now
	Expires  time.Time      // default: IssuedAt + 1h
	Extra    map[string]any // further claims, such as GitHub's "repository"
}

// MintToken signs an RS256 web identity token for the issuer with its
// private_key_pem, as the identity provider would. It is for tests and CI
// stand-ins; the emulator itself only verifies tokens.
func (w *World) MintToken(issuer string, c TokenClaims) (string, error) {
	for _, p := range w.OIDC {
		if p.Issuer != issuer {
			continue
		}
		if p.PrivateKeyPEM == "" {
			return "", fmt.Errorf("mint token: issuer %q has no private_key_pem", issuer)
		}
		key, err := parsePrivateKey(p.PrivateKeyPEM)
		if err != nil {
			return "", fmt.Errorf("mint token: issuer %q: %w", issuer, err)
		}
		if c.IssuedAt.IsZero() {
			c.IssuedAt = time.Now()
		}
		if c.Expires.IsZero() {
			c.Expires = c.IssuedAt.Add(time.Hour)
		}
		if c.Audience == "" {
			c.Audience = p.Audience
		}
		claims := map[string]any{}
		for k, v := range c.Extra {
			claims[k] = v
		}
		claims["iss"] = p.Issuer
		claims["sub"] = c.Subject
		claims["aud"] = c.Audience
		claims["iat"] = c.IssuedAt.Unix()
		claims["nbf"] = c.IssuedAt.Unix()
		claims["exp"] = c.Expires.Unix()
		return SignToken(key, claims)
	}
	return "", fmt.Errorf("mint token: no oidc issuer %q in the world", issuer)
}

// SignToken returns claims as a compact RS256 JWT signed with key.
func SignToken(key *rsa.PrivateKey, claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// NewOIDCKey makes a 2048-bit RSA key pair for an OIDCProvider, as PEM:
// private in PKCS#8, public in PKIX.
func NewOIDCKey() (privatePEM, publicPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), nil
}

func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("private_key_pem is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("private_key_pem: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("private_key_pem is not an RSA key")
	}
	return rk, nil
}

// publicKey is the provider's verification key: public_key_pem, or the
// public half of private_key_pem.
func (p OIDCProvider) publicKey() (*rsa.PublicKey, error) {
	if p.PublicKeyPEM == "" {
		if p.PrivateKeyPEM == "" {
			return nil, errors.New("public_key_pem or private_key_pem is required")
		}
		k, err := parsePrivateKey(p.PrivateKeyPEM)
		if err != nil {
			return nil, err
		}
		return &k.PublicKey, nil
	}
	block, _ := pem.Decode([]byte(p.PublicKeyPEM))
	if block == nil {
		return nil, errors.New("public_key_pem is not PEM")
	}
	if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public_key_pem: %w", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("public_key_pem is not an RSA key")
	}
	return rk, nil
}

// webIdentity is what a verified token says.
type webIdentity struct {
	provider OIDCProvider
	subject  string
	audience string
}

// Messages as STS words them for AssumeRoleWithWebIdentity.
const msgTokenNotValidated = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."

func invalidIdentityToken(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidIdentityToken", message: msg}
}

// verifyToken checks a compact RS256 JWT against the providers: a known
// iss, the signature with that issuer's key, aud, exp and nbf at now, and a
// non-empty sub.
func verifyToken(token string, providers []OIDCProvider, now time.Time) (webIdentity, *apiError) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	enc := base64.RawURLEncoding
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp json.Number     `json:"exp"`
		Nbf json.Number     `json:"nbf"`
	}
	hb, err1 := enc.DecodeString(parts[0])
	pb, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3, json.Unmarshal(hb, &header), decodeJSONNumbers(pb, &claims)); err != nil {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	if header.Alg != "RS256" {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	var p *OIDCProvider
	for i := range providers {
		if providers[i].Issuer == claims.Iss {
			p = &providers[i]
			break
		}
	}
	if p == nil {
		return webIdentity{}, invalidIdentityToken(fmt.Sprintf("No OpenIDConnect provider found in your account for %s", claims.Iss))
	}
	key, err := p.publicKey()
	if err != nil {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	if !audienceHas(claims.Aud, p.Audience) {
		return webIdentity{}, invalidIdentityToken("Incorrect token audience")
	}
	exp, err := claims.Exp.Int64()
	if err != nil {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	if expAt := time.Unix(exp, 0); !now.Before(expAt) {
		return webIdentity{}, &apiError{status: http.StatusBadRequest, code: "ExpiredTokenException",
			message: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp)}
	}
	if claims.Nbf != "" {
		if nbf, err := claims.Nbf.Int64(); err != nil || now.Before(time.Unix(nbf, 0)) {
			return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
		}
	}
	if claims.Sub == "" {
		return webIdentity{}, invalidIdentityToken(msgTokenNotValidated)
	}
	return webIdentity{provider: *p, subject: claims.Sub, audience: p.Audience}, nil
}

func decodeJSONNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// audienceHas reports whether aud (a string or an array of strings, RFC 7519
// section 4.1.3) contains want.
func audienceHas(aud json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(aud, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

// subjectAllowed reports whether sub matches one of the trust's globs (any
// subject when there are none).
func subjectAllowed(globs []string, sub string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if globMatch(g, sub) {
			return true
		}
	}
	return false
}

// globMatch is IAM's StringLike: '*' matches any run of characters, '/'
// included (unlike path.Match, which GitHub's "repo:ORG/REPO:*" subjects
// would defeat), and '?' any one character.
func globMatch(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
