package awsemu

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"time"
)

// keyUse is what IAM remembers of a long-term key's last use.
type keyUse struct {
	at      time.Time
	service string
	region  string
}

// noteKeyUse runs after a request's signature checked out: a key made by
// CreateAccessKey that is not yet usable (the new_key_delay_ms fault:
// IAM is eventually consistent, and a new key can be refused at STS for a
// few seconds) is refused as an unknown one; a long-term key that is
// accepted is remembered as used, for GetAccessKeyLastUsed.
func (s *Server) noteKeyUse(c *call, cred *credential) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.now.Before(cred.usableFrom) {
		return invalidClientTokenID()
	}
	if !cred.temporary() {
		region := "N/A"
		if a, err := parseAuthorization(c.r.Header.Get("Authorization")); err == nil {
			region = a.region
		}
		cred.lastUsed = &keyUse{at: c.now, service: c.service, region: region}
	}
	return nil
}

// iamMFAExempt are the IAM actions AWS's example policy for users who
// manage their own credentials leaves open without MFA (its
// "DenyAllExceptListedIfNoMFA" statement), so that a user can see and set
// up a device before having one.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_my-sec-creds-self-manage.html
var iamMFAExempt = map[string]bool{"GetUser": true, "ListMFADevices": true}

// iamMFAPolicy is that policy for a caller whose user has
// iam_requires_mfa: an explicit deny of every other IAM action to
// credentials without MFA (long-term keys, sessions without MFA), worded
// as IAM words a deny.
func iamMFAPolicy(c *call, caller *credential, target *userState) *apiError {
	u := caller.principal.user
	if u == nil || !u.IAMRequiresMFA || caller.mfa || iamMFAExempt[c.action] {
		return nil
	}
	return accessDenied(fmt.Sprintf("User: %s is not authorized to perform: iam:%s on resource: user %s with an explicit deny in an identity-based policy",
		caller.principal.arn(), c.action, target.Name))
}

type accessKeyLastUsedXML struct {
	LastUsedDate *awsTime `xml:"LastUsedDate,omitempty"`
	ServiceName  string   `xml:"ServiceName"`
	Region       string   `xml:"Region"`
}

type getAccessKeyLastUsedResult struct {
	XMLName           xml.Name             `xml:"GetAccessKeyLastUsedResult"`
	UserName          string               `xml:"UserName"`
	AccessKeyLastUsed accessKeyLastUsedXML `xml:"AccessKeyLastUsed"`
}

// getAccessKeyLastUsed answers for a key of the caller's account: when it
// was last used, for which service, in which region; a key never used has
// no date and "N/A" for both, as IAM answers.
func (s *Server) getAccessKeyLastUsed(c *call, caller *credential) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.params.Get("AccessKeyId")
	if id == "" {
		return nil, validationError("1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null")
	}
	if caller.fromSessionToken && !caller.mfa {
		return nil, invalidClientTokenID()
	}
	k := s.keys[id]
	if k == nil || k.temporary() || k.principal.user == nil || k.principal.account != caller.principal.account {
		return nil, &apiError{status: http.StatusNotFound, code: "NoSuchEntity", message: fmt.Sprintf("The Access Key with id %s cannot be found.", id)}
	}
	if aerr := iamMFAPolicy(c, caller, k.principal.user); aerr != nil {
		return nil, aerr
	}
	res := getAccessKeyLastUsedResult{UserName: k.principal.user.Name,
		AccessKeyLastUsed: accessKeyLastUsedXML{ServiceName: "N/A", Region: "N/A"}}
	if u := k.lastUsed; u != nil {
		at := awsTime(u.at)
		res.AccessKeyLastUsed = accessKeyLastUsedXML{LastUsedDate: &at, ServiceName: u.service, Region: u.region}
	}
	return res, nil
}

// AccessKeyIDs returns the access keys IAM holds now for the user with
// the ARN, oldest first: what ListAccessKeys would list, for tests that
// look from outside.
func (s *Server) AccessKeyIDs(userARN string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userARN]
	if u == nil {
		return nil, fmt.Errorf("no user %q", userARN)
	}
	return append([]string(nil), u.keyIDs...), nil
}
